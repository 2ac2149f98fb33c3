'use strict'
// The same client on uni-app and Taro: createClient({ platform }) and use().
const test = require('node:test')
const assert = require('node:assert/strict')
const miniauth = require('../miniauth')
const { fakeUni, fakeTaro } = require('./fakeplatforms')
const h = require('./harness')

const platforms = { uni: fakeUni, Taro: fakeTaro }

for (const [name, make] of Object.entries(platforms)) {
  test(`${name}: login, request and a re-login after a 401`, { skip: h.skip }, async () => {
    const p = make({ wxmock: h.wxmock, appid: h.appid, user: h.user(name) })
    const auth = miniauth.createClient({ baseURL: h.url, tenant: h.tenant, platform: p })
    const user = await auth.login()
    assert.match(user.id, /^u_/)
    assert.equal(p.counts.login, 1)
    const me = await auth.request({ url: '/me' })
    assert.equal(me.statusCode, 200)
    assert.equal(me.data.user.id, user.id)
    // The session dies server-side; the next request logs in again once.
    const old = auth.session().session
    await fetch(auth.api + '/logout', { method: 'POST', headers: { authorization: 'Bearer ' + old } })
    const again = await auth.request({ url: '/me' })
    assert.equal(again.statusCode, 200)
    assert.equal(p.counts.login, 2)
    assert.notEqual(auth.session().session, old)
    // A restarted app reuses the stored session through the platform's storage.
    const restarted = miniauth.createClient({ baseURL: h.url, tenant: h.tenant, platform: make({ wxmock: h.wxmock, appid: h.appid, user: 'x', storage: p.storage }) })
    assert.equal(restarted.currentUser().id, user.id)
  })
}

test('adapt settles once when a platform answers by callback and promise both', async () => {
  let answers = 0
  const both = {
    request (o) { o.success({ statusCode: 200, data: 1 }); return Promise.resolve({ statusCode: 200, data: 2 }) },
    login (o) { return Promise.reject(new Error('no')) },
    checkSession (o) { o.fail({ errMsg: 'checkSession:fail' }) },
    getStorageSync () { return '' },
    setStorageSync () {},
    removeStorageSync () {}
  }
  const w = miniauth.adapt(both)
  const res = await new Promise((resolve, reject) => w.request({ url: 'x', success: (r) => { answers++; resolve(r) }, fail: reject }))
  await new Promise((resolve) => setImmediate(resolve))
  assert.equal(res.data, 1)
  assert.equal(answers, 1)
  await assert.rejects(new Promise((resolve, reject) => w.login({ success: resolve, fail: reject })))
  await assert.rejects(new Promise((resolve, reject) => w.checkSession({ success: resolve, fail: reject })))
})

test('adapt refuses what is no platform; use() sets the default platform', () => {
  assert.throws(() => miniauth.adapt({}), { code: 'invalid_options' })
  assert.throws(() => miniauth.use(null), { code: 'invalid_options' })
  const taro = fakeTaro({ wxmock: 'http://127.0.0.1:1', appid: 'wx', user: 'u' })
  taro.setStorageSync('miniauth:acme', { session: 'mas_x', expiresAt: Date.now() + 60e3, user: { id: 'u_1' } })
  // (node --test runs each file in its own process: the default stays here.)
  assert.equal(miniauth.use(taro), miniauth)
  const auth = miniauth.createClient({ baseURL: 'https://auth.example.com', tenant: 'acme' })
  assert.equal(auth.currentUser().id, 'u_1', 'the client reads Taro\'s storage')
})
