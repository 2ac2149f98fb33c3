'use strict'
// The example mini-program as WeChat DevTools gets it when the folder is
// copied: a real copy of the SDK (no symlink), the local-demo settings, and
// page handlers that turn every failure into a message instead of an
// unhandled rejection. Needs no server: the pages run in a vm with fakes.
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const vm = require('node:vm')
const { createRequire } = require('node:module')
const { MiniauthError } = require('../miniauth')

const example = path.join(__dirname, '..', 'example')

test('example/lib/miniauth.js is a real copy of miniauth.js, byte for byte', () => {
  const copy = path.join(example, 'lib', 'miniauth.js')
  assert.ok(fs.lstatSync(copy).isFile(), 'a file, not a symlink: a symlink breaks when the folder is copied and on Windows')
  assert.ok(fs.readFileSync(copy).equals(fs.readFileSync(path.join(__dirname, '..', 'miniauth.js'))),
    'example/lib/miniauth.js differs from miniauth.js: run  cp web/miniprogram/miniauth.js web/miniprogram/example/lib/')
})

test('project.config.json turns the domain check off for the local demo', () => {
  const cfg = JSON.parse(fs.readFileSync(path.join(example, 'project.config.json'), 'utf8'))
  assert.equal(cfg.setting.urlCheck, false)
  assert.equal(cfg.compileType, 'miniprogram')
})

// load runs one of the example's scripts as the mini-program runtime
// would, and returns what it registered with App() or Page().
function load (file, globals) {
  let registered = null
  const ctx = vm.createContext(Object.assign({
    console,
    require: createRequire(path.join(example, file)),
    App: (o) => { registered = o },
    Page: (o) => { registered = o }
  }, globals))
  vm.runInContext(fs.readFileSync(path.join(example, file), 'utf8'), ctx, { filename: file })
  return registered
}

function page (file, auth) {
  const redirects = []
  const wx = { redirectTo: ({ url }) => redirects.push(url) }
  const p = load(file, { wx, getApp: () => ({ auth }) })
  p.setData = function (d) { this.data = Object.assign({}, this.data, d) }
  p.redirects = redirects
  return p
}

const fail = (code) => () => Promise.reject(new MiniauthError(code, code, 400))

test('app.js builds its client against the local make run, login codes from the simulator', async () => {
  const calls = []
  const wx = {
    request (o) { calls.push(o); o.success({ statusCode: 200, data: { code: 'c0de' } }) },
    getStorageSync () { return '' },
    setStorageSync () {},
    removeStorageSync () {}
  }
  const app = load('app.js', { wx })
  assert.equal(app.auth.api, 'http://localhost:8080/t/demo')
  const code = await new Promise((resolve, reject) => app.auth.wx.login({ success: resolve, fail: reject }))
  assert.equal(code.code, 'c0de')
  assert.equal(calls[0].url, 'http://127.0.0.1:8081/mock/wx.login')
  assert.equal(calls[0].data.appid, 'wx0123456789abcdef')
})

test('profile: save() and orders() report failures instead of throwing', async () => {
  // save() reads the form on submit (WeChat may have cleared the nickname input on blur).
  const submit = (nickname) => ({ detail: { value: { nickname } } })
  const p = page('pages/profile/profile.js', { updateProfile: fail('invalid_request'), request: fail('wx_request_failed') })
  await p.save(submit('x'))
  assert.match(p.data.message, /not accepted/)
  await p.save(submit('  '))
  assert.match(p.data.message, /Enter a nickname/)
  const rejected = page('pages/profile/profile.js', { updateProfile: fail('nickname_rejected') })
  await rejected.save(submit('坏词'))
  assert.match(rejected.data.message, /not allowed/)
  await p.orders()
  assert.match(p.data.message, /Could not reach the backend/)

  const banned = page('pages/profile/profile.js', { request: fail('user_banned') })
  await banned.orders()
  assert.deepEqual(banned.redirects, ['/pages/login/login'])

  const ok = page('pages/profile/profile.js', {
    updateProfile: async (p) => ({ id: 'u_1', nickname: p.nickname }),
    request: async () => ({ statusCode: 200, data: [1, 2] })
  })
  await ok.save(submit('阿狸'))
  assert.equal(ok.data.message, 'Saved.')
  assert.equal(ok.data.user.nickname, '阿狸')
  await ok.orders()
  assert.equal(ok.data.message, '2 orders')
})

test('login page: signup_required offers the sign-up, which registers with the ticket', async () => {
  let form = null
  const p = page('pages/login/login.js', {
    isLoggedIn: () => false,
    login: () => Promise.reject(Object.assign(new MiniauthError('signup_required', 's', 200), { signup_ticket: 'mat_t' })),
    register: async (f) => { form = f; return { id: 'u_1' } }
  })
  await p.login()
  assert.equal(p.data.ticket, 'mat_t')
  await p.signup()
  assert.equal(JSON.stringify(form), '{"signup_ticket":"mat_t"}')
  assert.deepEqual(p.redirects, ['/pages/profile/profile'])
})
