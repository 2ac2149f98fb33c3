'use strict'
// The package as npm and WeChat DevTools' "build npm" take it: the fields
// they read, the build directory in step with the source, and a real
// install of the packed tarball into a scratch project.
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { execFileSync } = require('node:child_process')

const root = path.join(__dirname, '..')
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'))
const read = (p) => fs.readFileSync(path.join(root, p))

test('package.json has what npm and "build npm" read', () => {
  assert.match(pkg.name, /^[a-z0-9-]+$/)
  assert.match(pkg.version, /^\d+\.\d+\.\d+$/)
  assert.ok(pkg.license)
  for (const field of ['main', 'types']) assert.ok(fs.existsSync(path.join(root, pkg[field])), field + ' names a file')
  assert.ok(fs.statSync(path.join(root, pkg.miniprogram)).isDirectory(), 'miniprogram names the build directory')
  for (const f of pkg.files) assert.ok(fs.existsSync(path.join(root, f)), 'files lists ' + f + ', which exists')
  assert.match(read('CHANGELOG.md').toString(), new RegExp('^## ' + pkg.version.replace(/\./g, '\\.') + '$', 'm'), 'CHANGELOG.md has the version')
})

test('the build directory is the source, byte for byte', () => {
  const hint = ': run  node web/miniprogram/build.js'
  assert.ok(read(path.join(pkg.miniprogram, 'index.js')).equals(read(pkg.main)), pkg.miniprogram + '/index.js differs from ' + pkg.main + hint)
  assert.ok(read(path.join(pkg.miniprogram, 'index.d.ts')).equals(read(pkg.types)), pkg.miniprogram + '/index.d.ts differs from ' + pkg.types + hint)
})

test('npm packs and installs it; require() and "build npm" find the SDK', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'miniauth-pkg-'))
  try {
    const npm = (args, cwd) => execFileSync('npm', args.concat(['--cache', path.join(dir, 'cache'), '--offline', '--no-audit', '--no-fund']),
      { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
    const [packed] = JSON.parse(npm(['pack', '--json', '--pack-destination', dir], root))
    const names = packed.files.map((f) => f.path)
    assert.ok(names.includes(pkg.miniprogram + '/index.js'))
    assert.ok(!names.some((n) => n.startsWith('test/') || n.startsWith('example/')), 'no tests or example in the package: ' + names)

    const project = path.join(dir, 'project')
    fs.mkdirSync(project)
    fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }))
    npm(['install', path.join(dir, packed.filename)], project)
    const installed = path.join(project, 'node_modules', pkg.name)
    const sdk = require(require.resolve(pkg.name, { paths: [project] }))
    assert.equal(typeof sdk.createClient, 'function')
    // What "build npm" does with a mini-program package: copy its
    // miniprogram directory to miniprogram_npm/<name>/, entry index.js.
    const built = path.join(project, 'miniprogram_npm', pkg.name)
    fs.cpSync(path.join(installed, pkg.miniprogram), built, { recursive: true })
    assert.equal(typeof require(path.join(built, 'index.js')).register, 'undefined', 'register is a method, not an export')
    assert.equal(typeof require(path.join(built, 'index.js')).Client.prototype.register, 'function')
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})
