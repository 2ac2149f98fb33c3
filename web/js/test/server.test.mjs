// The browser module against a real miniauth (sessions, /me, /token,
// /logout, web OAuth) with the WeChat simulator, all over HTTP.
import test from 'node:test'
import assert from 'node:assert/strict'
import http from 'node:http'
import { createClient, memoryStorage, MiniauthError } from '../miniauth.js'
import { h, post, loginAnswer, countingFetch } from './harness.mjs'

const skip = h.skip

function client (extra) {
  const f = countingFetch()
  const storage = memoryStorage()
  const auth = createClient(Object.assign({ baseURL: h.url, tenant: h.tenant, storage, fetch: f }, extra))
  return { auth, f, storage }
}

test('useSession stores a login answer; me() and fetch() send it; logout ends it on the server', { skip }, async () => {
  const { auth, storage } = client()
  const seen = []
  auth.on('login', (u) => seen.push(u))
  const answer = await loginAnswer(h.user('me'))
  const user = auth.useSession(answer)
  assert.equal(user.id, answer.user.id)
  assert.deepEqual(seen, [user])
  assert.equal(auth.isLoggedIn(), true)
  const stored = JSON.parse(storage.getItem('miniauth:' + h.tenant))
  assert.equal(stored.session, answer.session)
  assert.ok(stored.expiresAt > Date.now() + 3600e3)
  assert.doesNotMatch(JSON.stringify(stored), /session_key/)

  const me = await auth.me()
  assert.equal(me.id, user.id)
  const res = await auth.fetch('/me')
  assert.equal(res.status, 200)
  assert.equal((await res.json()).user.id, user.id)
  const renamed = await auth.updateProfile({ nickname: '小红' })
  assert.equal(renamed.nickname, '小红')
  assert.equal(auth.currentUser().nickname, '小红')

  let loggedOut = 0
  auth.on('logout', () => loggedOut++)
  await auth.logout()
  assert.equal(auth.isLoggedIn(), false)
  assert.equal(storage.getItem('miniauth:' + h.tenant), null)
  assert.equal(loggedOut, 1)
  const after = await fetch(`${h.url}/t/${h.tenant}/me`, { headers: { authorization: 'Bearer ' + answer.session } })
  assert.equal(after.status, 401, 'the session is gone on the server too')
})

test('a 401 under 12 concurrent requests runs renew exactly once; all retry with the new session', { skip }, async () => {
  const name = h.user('burst')
  let renewals = 0
  const { auth, f } = client({
    renew: async (a) => {
      renewals++
      a.useSession(await loginAnswer(name)) // the page signs the user in again (a dialog, in real life)
    }
  })
  auth.useSession(await loginAnswer(name))
  const old = auth.session().session
  assert.equal((await post(auth.api + '/logout', null, old)).status, 204) // revoked server-side
  let expired = 0
  auth.on('expired', () => expired++)
  const answers = await Promise.all(Array.from({ length: 12 }, () => auth.fetch('/me')))
  for (const res of answers) assert.equal(res.status, 200)
  assert.equal(renewals, 1)
  assert.equal(expired, 1)
  assert.notEqual(auth.session().session, old)
  assert.equal(f.count('GET /t/' + h.tenant + '/me'), 24, 'each request once with the dead session, once after')
})

test('without renew, a dead session: the 401 comes back, expired is emitted once, the session is forgotten', { skip }, async () => {
  const { auth } = client()
  auth.useSession(await loginAnswer(h.user('norenew')))
  await post(auth.api + '/logout', null, auth.session().session)
  let expired = 0
  auth.on('expired', () => expired++)
  const answers = await Promise.all(Array.from({ length: 6 }, () => auth.fetch('/me')))
  for (const res of answers) assert.equal(res.status, 401)
  assert.equal(expired, 1)
  assert.equal(auth.isLoggedIn(), false)
  await assert.rejects(auth.me(), { name: 'MiniauthError', code: 'invalid_session', status: 401 })
})

test('a renewal that fails (the person closed the dialog) starts no second one for the same 401s', { skip }, async () => {
  let renewals = 0
  const { auth } = client({ renew: async () => { renewals++; throw new Error('closed') } })
  auth.useSession(await loginAnswer(h.user('cancel')))
  const dead = auth.session().session
  await post(auth.api + '/logout', null, dead)
  const first = await Promise.all(Array.from({ length: 4 }, () => auth.fetch('/me')))
  for (const res of first) assert.equal(res.status, 401)
  assert.equal(renewals, 1)
})

test('getAccessToken: one POST /token for concurrent calls, cached until 30 s before expiry', { skip }, async () => {
  let clock = Date.now()
  const { auth, f } = client({ now: () => clock })
  const answer = await loginAnswer(h.user('at'))
  // A tenant that issues no access token at login (issue 18): the answer carries none.
  delete answer.access_token
  delete answer.access_token_expires_in
  auth.useSession(answer)
  const tokens = await Promise.all(Array.from({ length: 7 }, () => auth.getAccessToken()))
  assert.equal(new Set(tokens).size, 1)
  assert.equal(f.count('POST /t/' + h.tenant + '/token'), 1)
  const claims = JSON.parse(Buffer.from(tokens[0].split('.')[1], 'base64url').toString())
  assert.equal(claims.iss, `${h.url}/t/${h.tenant}`)
  assert.equal(claims.sub, answer.user.id)
  const exp = auth.session().accessTokenExpiresAt
  clock = exp - 31e3
  assert.equal(await auth.getAccessToken(), tokens[0])
  assert.equal(f.count('POST /t/' + h.tenant + '/token'), 1)
  clock = exp - 29e3
  const fresh = await Promise.all([auth.getAccessToken(), auth.getAccessToken()])
  assert.equal(fresh[0], fresh[1])
  assert.notEqual(fresh[0], tokens[0])
  assert.equal(f.count('POST /t/' + h.tenant + '/token'), 2)
})

test('getAccessToken on a dead session renews it first', { skip }, async () => {
  const name = h.user('atdead')
  let renewals = 0
  const { auth } = client({ renew: async (a) => { renewals++; a.useSession(await loginAnswer(name)) } })
  const answer = await loginAnswer(name)
  delete answer.access_token
  auth.useSession(answer)
  await post(auth.api + '/logout', null, answer.session)
  const token = await auth.getAccessToken()
  assert.equal(renewals, 1)
  assert.equal(token.split('.').length, 3)
  assert.notEqual(auth.session().session, answer.session)
})

// backend plays the tenant's API: it accepts unexpired access tokens
// except those it was told to refuse (as a backend does whose JWKS cache
// does not know a new key yet, or that revoked the token).
async function backend () {
  const refused = new Set()
  let calls = 0
  const srv = http.createServer((req, res) => {
    calls++
    const token = (req.headers.authorization || '').replace(/^Bearer /, '')
    let ok = false
    try {
      const c = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString())
      ok = c.exp * 1000 > Date.now() && !refused.has(token)
    } catch (e) {}
    res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' })
    res.end(JSON.stringify(ok ? { orders: [] } : { error: 'invalid_token' }))
  })
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve))
  return {
    url: 'http://127.0.0.1:' + srv.address().port,
    refuse: (t) => refused.add(t),
    calls: () => calls,
    close: () => new Promise((resolve) => { srv.close(resolve); srv.closeAllConnections() })
  }
}

test('fetch with auth access_token: the backend refuses the token, 10 requests share one new one', { skip }, async () => {
  const api = await backend()
  try {
    const { auth, f } = client()
    auth.useSession(await loginAnswer(h.user('backend')))
    const first = await auth.getAccessToken()
    const ok = await auth.fetch(api.url + '/orders', { auth: 'access_token' })
    assert.equal(ok.status, 200)
    api.refuse(first)
    const answers = await Promise.all(Array.from({ length: 10 }, () => auth.fetch(api.url + '/orders', { auth: 'access_token' })))
    for (const res of answers) assert.equal(res.status, 200)
    assert.equal(f.count('POST /t/' + h.tenant + '/token'), 1, 'one new access token for the 10 refusals')
    assert.notEqual(await auth.getAccessToken(), first)
    assert.equal(api.calls(), 21)
  } finally {
    await api.close()
  }
})

test('handleRedirect finishes a real web OAuth sign-in: the fragment session is stored and /me read', { skip: skip || (!h.oaAppid && 'no official account') }, async () => {
  const { auth } = client()
  const start = auth.wechatLoginURL({ redirectURI: h.redirectURI, scope: 'snsapi_base', appid: h.oaAppid })
  assert.equal(start, `${h.url}/t/${h.tenant}/oauth/wechat/start?redirect_uri=${encodeURIComponent(h.redirectURI)}&scope=snsapi_base&appid=${h.oaAppid}`)
  // The browser's part, step by step: miniauth → WeChat's authorize page → the callback (with the state cookie) → the page.
  const r1 = await fetch(start, { redirect: 'manual' })
  assert.equal(r1.status, 302)
  const cookie = r1.headers.get('set-cookie').split(';')[0]
  const authorize = new URL(r1.headers.get('location'))
  assert.equal(authorize.origin, new URL(h.wxmock).origin)
  authorize.searchParams.set('mock_user', h.user('oauth')) // the simulated person in front of the browser
  const r2 = await fetch(authorize, { redirect: 'manual' })
  assert.equal(r2.status, 302)
  const r3 = await fetch(r2.headers.get('location'), { redirect: 'manual', headers: { cookie } })
  assert.equal(r3.status, 302)
  const back = r3.headers.get('location')
  assert.ok(back.startsWith(h.redirectURI + '#'), back.replace(/session=[^&]+/, 'session=…'))

  let logins = 0
  auth.on('login', () => logins++)
  const user = await auth.handleRedirect(back)
  assert.match(user.id, /^u_/)
  assert.equal(user.is_new, true)
  assert.equal(logins, 1)
  assert.equal(auth.currentUser().id, user.id)
  assert.equal((await auth.fetch('/me')).status, 200)
  // A page that carries no sign-in is left alone.
  assert.equal(await auth.handleRedirect(h.redirectURI + '?tab=orders'), null)
  // A refusal comes back as ?error=.
  await assert.rejects(auth.handleRedirect(h.redirectURI + '?error=access_denied'), (e) => e instanceof MiniauthError && e.code === 'access_denied')
})

test('errors carry the API code, status and request id', { skip }, async () => {
  const auth = createClient({ baseURL: h.url, tenant: 'no-such-tenant', storage: memoryStorage() })
  auth.useSession({ session: 'mas_' + 'x'.repeat(43), expires_in: 60 })
  const err = await auth.me().then(() => assert.fail('answered'), (e) => e)
  assert.ok(err instanceof MiniauthError)
  assert.equal(err.code, 'tenant_not_found')
  assert.equal(err.status, 404)
  assert.match(err.requestId, /\S/)
})

test('SMS against miniauth, for a tenant that has not set SMS up: sms_not_configured, and a code nobody sent is invalid_sms_code', { skip }, async () => {
  const { auth } = client()
  const err = await auth.sendSmsCode('+8613800138000').then(() => assert.fail('sent'), (e) => e)
  assert.ok(err instanceof MiniauthError)
  assert.equal(err.code, 'sms_not_configured')
  assert.equal(err.status, 409)
  await assert.rejects(auth.loginWithSms('+8613800138000', '123456'), (e) => e instanceof MiniauthError && e.status === 401 && e.code === 'invalid_sms_code')
  assert.equal(auth.isLoggedIn(), false)
  auth.useSession(await loginAnswer(h.user('smsbind')))
  await assert.rejects(auth.bindPhoneWithSms('+8613800138000', '123456'), { code: 'invalid_sms_code', status: 401 })
  assert.equal(auth.currentUser().phone_bound, false, 'nothing bound')
  assert.equal(auth.isLoggedIn(), true, 'a wrong code is not a dead session')
})
