'use strict'
const test = require('node:test')
const assert = require('node:assert/strict')
const { createClient } = require('../miniauth')
const { fakeWx } = require('./fakewx')
const h = require('./harness')

function client (user, storage, extra) {
  const wx = fakeWx({ wxmock: h.wxmock, appid: h.appid, user, storage })
  return { wx, auth: createClient(Object.assign({ baseURL: h.url, tenant: h.tenant, wx }, extra)) }
}

async function post (url, body, token) {
  const headers = { 'content-type': 'application/json' }
  if (token) headers.authorization = 'Bearer ' + token
  const res = await fetch(url, { method: 'POST', headers, body: body ? JSON.stringify(body) : undefined })
  const text = await res.text()
  return { status: res.status, body: text ? JSON.parse(text) : null }
}

test('first login stores the session and its expiry, never a session_key', { skip: h.skip }, async () => {
  const { wx, auth } = client(h.user('first'))
  const seen = []
  auth.on('login', (u) => seen.push(u))
  const user = await auth.login()
  assert.equal(wx.counts.login, 1)
  assert.match(user.id, /^u_/)
  assert.equal(user.is_new, true)
  assert.deepEqual(seen, [user])
  const s = auth.session()
  assert.match(s.session, /^mas_/)
  assert.ok(s.expiresAt > Date.now() + 3600e3, 'expiry stored')
  assert.ok(s.accessToken, 'access token stored')
  const stored = [...wx.storage.values()].join()
  assert.doesNotMatch(stored, /session_key/i)
  // The session works.
  const me = await auth.request({ url: '/me' })
  assert.equal(me.statusCode, 200)
  assert.equal(me.data.user.id, user.id)
})

test('a restarted app reuses the stored token without wx.login', { skip: h.skip }, async () => {
  const name = h.user('restart')
  const first = client(name)
  const user = await first.auth.login()
  // The "app" restarts: a new client over the same storage.
  const again = client(name, first.wx.storage)
  assert.equal(again.auth.isLoggedIn(), true)
  assert.equal((await again.auth.login()).id, user.id)
  assert.equal(again.wx.counts.login, 0, 'no wx.login while checkSession says ok')
  assert.equal(again.wx.counts.checkSession, 1)
  const me = await again.auth.request({ url: '/me' })
  assert.equal(me.statusCode, 200)
  assert.equal(me.data.user.id, user.id)
  // When WeChat's login state is gone, login() runs wx.login again.
  again.wx.checkSessionOK = false
  const relogged = await again.auth.login()
  assert.equal(relogged.id, user.id)
  assert.equal(again.wx.counts.login, 1)
})

test('a 401 under 10 concurrent requests makes exactly one new login', { skip: h.skip }, async () => {
  const { wx, auth } = client(h.user('burst'))
  await auth.login()
  const old = auth.session().session
  // The session dies server-side (as after an admin's revocation).
  assert.equal((await post(auth.api + '/logout', null, old)).status, 204)
  let logins = 0
  auth.on('login', () => logins++)
  const answers = await Promise.all(Array.from({ length: 10 }, () => auth.request({ url: '/me' })))
  for (const res of answers) assert.equal(res.statusCode, 200)
  assert.equal(wx.counts.login, 2, 'one wx.login for the first login, one for the re-login')
  assert.equal(logins, 1)
  assert.notEqual(auth.session().session, old)
})

test('concurrent first requests share one login', { skip: h.skip }, async () => {
  const { wx, auth } = client(h.user('cold'))
  const answers = await Promise.all(Array.from({ length: 5 }, () => auth.request({ url: '/me' })))
  for (const res of answers) assert.equal(res.statusCode, 200)
  assert.equal(wx.counts.login, 1)
})

test('logout ends the session on the server and forgets it here', { skip: h.skip }, async () => {
  const { wx, auth } = client(h.user('bye'))
  await auth.login()
  const token = auth.session().session
  let loggedOut = 0
  auth.on('logout', () => loggedOut++)
  await auth.logout()
  assert.equal(auth.isLoggedIn(), false)
  assert.equal(auth.currentUser(), null)
  assert.equal(wx.storage.size, 0)
  assert.equal(loggedOut, 1)
  const res = await fetch(auth.api + '/me', { headers: { authorization: 'Bearer ' + token } })
  assert.equal(res.status, 401)
})

test('phone binding with a getPhoneNumber code', { skip: h.skip }, async () => {
  const name = h.user('phone')
  const { auth } = client(name)
  const user = await auth.login()
  assert.equal(user.phone_bound, false)
  const set = await fetch(h.wxmock + '/mock/user', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user: name, country_code: '86', phone: '139' + String(process.pid % 100000000).padStart(8, '0') })
  })
  assert.equal(set.status, 204)
  const code = (await post(h.wxmock + '/mock/getPhoneNumber', { appid: h.appid, user: name })).body.code
  const bound = await auth.bindPhone(code)
  assert.equal(bound.phone_bound, true)
  assert.equal(auth.currentUser().phone_bound, true)
  assert.equal((await auth.user()).phone_bound, true)
  await assert.rejects(auth.bindPhone(''), { code: 'invalid_request' })
  await assert.rejects(auth.bindPhone('not-a-real-code'), (e) => e.status === 400)
})

test('a phone code that fails leaves the login done and emits phoneError', { skip: h.skip }, async () => {
  const { auth } = client(h.user('phonefail'))
  const errs = []
  auth.on('phoneError', (e) => errs.push(e))
  const user = await auth.login({ phoneCode: 'e31968a7f94cc5ee25fafc2aef2773f0bb8c3937b22520eb8ee345274d00c144' })
  assert.equal(user.phone_bound, false)
  assert.ok(auth.session())
  assert.equal(errs.length, 1)
  assert.equal(errs[0].code, 'invalid_phone_code')
  assert.ok(errs[0].message)
})

test('errors carry the API error code', { skip: h.skip }, async () => {
  const wx = fakeWx({ wxmock: h.wxmock, appid: h.appid, user: h.user('nobody') })
  const auth = createClient({ baseURL: h.url, tenant: 'no-such-tenant', wx })
  await assert.rejects(auth.login(), { name: 'MiniauthError', code: 'tenant_not_found', status: 404 })
})
