'use strict'
// node build.js (npm run build): copies miniauth.js to where WeChat
// DevTools' "build npm" takes the package from (miniprogram_dist/index.js)
// and into the example (example/lib/miniauth.js). test/package.test.js and
// test/example.test.js fail while a copy differs.
const fs = require('node:fs')
const path = require('node:path')

const src = path.join(__dirname, 'miniauth.js')
for (const dest of ['miniprogram_dist/index.js', 'example/lib/miniauth.js']) {
  fs.mkdirSync(path.dirname(path.join(__dirname, dest)), { recursive: true })
  fs.copyFileSync(src, path.join(__dirname, dest))
  console.log('miniauth.js -> ' + dest)
}
fs.copyFileSync(path.join(__dirname, 'miniauth.d.ts'), path.join(__dirname, 'miniprogram_dist/index.d.ts'))
console.log('miniauth.d.ts -> miniprogram_dist/index.d.ts')
