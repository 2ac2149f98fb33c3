// SMS codes, the WeChat app and the ways in, against the local stand-in
// of those routes (fakeminiauth.cjs), which checks the requests as strictly
// as the server; and what the module does with each documented error.
import test from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { createClient, memoryStorage, MiniauthError } from '../miniauth.js'

const require = createRequire(import.meta.url)
const fake = require('./fakeminiauth.cjs')
const phone = '+8613800138000'

async function withFake (opts, fn) {
  const srv = await fake.start(opts)
  try {
    await fn(srv, createClient({ baseURL: srv.url, tenant: 'acme', storage: memoryStorage() }))
  } finally {
    await srv.close()
  }
}

const post = async (url, body) => (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json()

test('SMS login: sendSmsCode then loginWithSms, the request shapes, the session kept', async () => {
  await withFake({}, async (srv, auth) => {
    const logins = []
    auth.on('login', (u) => logins.push(u))
    assert.deepEqual(await auth.sendSmsCode(phone), { expires_in: 300, resend_after: 60 })
    const [send] = srv.calls('POST', '/t/acme/sms/send')
    assert.deepEqual(send.body, { phone, purpose: 'login' })
    assert.match(send.headers['content-type'], /^application\/json/)
    assert.equal(send.headers.authorization, undefined)

    const user = await auth.loginWithSms(phone, await srv.lastCode(phone))
    assert.equal(user.is_new, true)
    assert.equal(user.phone_bound, true)
    assert.deepEqual(logins, [user])
    const [login] = srv.calls('POST', '/t/acme/login/sms')
    assert.deepEqual(Object.keys(login.body).sort(), ['code', 'phone'])
    assert.equal((await auth.me()).id, user.id)
    assert.equal(srv.calls('GET', '/t/acme/me')[0].headers.authorization, 'Bearer ' + auth.session().session)

    // The same phone later is the same account.
    await auth.logout()
    srv.state.lastSend.clear()
    await auth.sendSmsCode(phone)
    const again = await auth.loginWithSms(phone, await srv.lastCode(phone))
    assert.equal(again.id, user.id)
    assert.equal(again.is_new, false)
  })
})

test('the documented SMS errors reach the caller as MiniauthError with code, status and retryAfter', async () => {
  await withFake({}, async (srv, auth) => {
    await assert.rejects(auth.sendSmsCode('+8612345678901'), { code: 'invalid_phone', status: 400 })
    await assert.rejects(auth.sendSmsCode('+447700900123'), { code: 'invalid_phone', status: 400 })
    // A bare mainland number is taken as +86, as the server takes it.
    assert.equal((await auth.sendSmsCode('139 0013 9001')).resend_after, 60)
    assert.equal(srv.calls('POST', '/t/acme/sms/send').at(-1).body.phone, '139 0013 9001', 'sent as typed')
    await auth.sendSmsCode(phone)
    const limited = await auth.sendSmsCode(phone).then(() => assert.fail('sent twice within a minute'), (e) => e)
    assert.ok(limited instanceof MiniauthError)
    assert.equal(limited.code, 'rate_limited')
    assert.equal(limited.status, 429)
    assert.ok(limited.retryAfter >= 1 && limited.retryAfter <= 60, String(limited.retryAfter))
    const code = await srv.lastCode(phone)
    const wrong = code === '999999' ? '000000' : '999999'
    for (let i = 0; i < 5; i++) await assert.rejects(auth.loginWithSms(phone, wrong), { code: 'invalid_sms_code', status: 401 })
    await assert.rejects(auth.loginWithSms(phone, code), { code: 'invalid_sms_code' }, 'five wrong tries end the code')
    assert.equal(auth.isLoggedIn(), false)
    srv.fail('POST /t/:tenant/sms/send', { status: 502, code: 'sms_unavailable' })
    await assert.rejects(auth.sendSmsCode('+8613700137000'), { code: 'sms_unavailable', status: 502 })
    srv.fail('POST /t/:tenant/sms/send', { status: 409, code: 'sms_not_configured' })
    await assert.rejects(auth.sendSmsCode('+8613700137000'), { code: 'sms_not_configured', status: 409 })
    srv.fail('POST /t/:tenant/sms/send', { status: 429, code: 'rate_limited', retryAfter: 3600 })
    await assert.rejects(auth.sendSmsCode('+8613700137000'), { code: 'rate_limited', retryAfter: 3600 })
  })
})

test('SMS login under the signup policy: signup_required with the ticket, then register()', async () => {
  await withFake({ policy: 'signup' }, async (srv, auth) => {
    await auth.sendSmsCode(phone)
    const err = await auth.loginWithSms(phone, await srv.lastCode(phone)).then(() => assert.fail('signed in'), (e) => e)
    assert.equal(err.code, 'signup_required')
    assert.match(err.signup_ticket, /^mat_/)
    assert.equal(err.expires_in, 600)
    const user = await auth.register({ signup_ticket: err.signup_ticket, nickname: '阿明', unknown: 'dropped' })
    assert.equal(user.nickname, '阿明')
    assert.deepEqual(Object.keys(srv.calls('POST', '/t/acme/register')[0].body).sort(), ['nickname', 'signup_ticket'])
    await assert.rejects(auth.register({ signup_ticket: err.signup_ticket }), { code: 'invalid_ticket', status: 400 })
  })
})

test('bindPhoneWithSms needs a session, sends it, updates the user; phone_in_use', async () => {
  await withFake({}, async (srv, auth) => {
    await assert.rejects(auth.bindPhoneWithSms(phone, '123456'), { code: 'invalid_session' }, 'not signed in')
    assert.equal(srv.calls('POST', '/t/acme/me/phone/sms').length, 0, 'nothing sent without a session')
    auth.useSession(await post(srv.url + '/t/acme/login', { code: (await post(srv.url + '/mock/wx.login', { user: 'bind' })).code }))
    await auth.sendSmsCode(phone, 'bind')
    const user = await auth.bindPhoneWithSms(phone, await srv.lastCode(phone))
    assert.equal(user.phone_bound, true)
    assert.equal(auth.currentUser().phone_bound, true)
    const [call] = srv.calls('POST', '/t/acme/me/phone/sms')
    assert.equal(call.headers.authorization, 'Bearer ' + auth.session().session)

    const other = createClient({ baseURL: srv.url, tenant: 'acme', storage: memoryStorage() })
    other.useSession(await post(srv.url + '/t/acme/login', { code: (await post(srv.url + '/mock/wx.login', { user: 'other' })).code }))
    srv.state.lastSend.clear()
    await other.sendSmsCode(phone, 'bind')
    await assert.rejects(other.bindPhoneWithSms(phone, await srv.lastCode(phone)), { code: 'phone_in_use', status: 409 })
  })
})

test('loginWithWeChatApp posts the SendAuth code (and appid) to /login/wechat-app', async () => {
  await withFake({}, async (srv, auth) => {
    const { code } = await post(srv.url + '/mock/app.auth', { appid: 'wxapp0123456789ab', user: 'app-user' })
    const user = await auth.loginWithWeChatApp(code, 'wxapp0123456789ab')
    assert.match(user.id, /^u_/)
    assert.deepEqual(srv.calls('POST', '/t/acme/login/wechat-app')[0].body, { code, appid: 'wxapp0123456789ab' })
    await assert.rejects(auth.loginWithWeChatApp('used-or-forged'), { code: 'invalid_code', status: 401 })
    assert.deepEqual(srv.calls('POST', '/t/acme/login/wechat-app')[1].body, { code: 'used-or-forged' }, 'no appid: the default app')
    await assert.rejects(auth.loginWithWeChatApp(''), { code: 'invalid_request' })
  })
})

test('identities() and unlinkIdentity(): the ways in, never the last one', async () => {
  await withFake({}, async (srv, auth) => {
    await auth.sendSmsCode(phone)
    await auth.loginWithSms(phone, await srv.lastCode(phone))
    const ways = await auth.identities()
    assert.deepEqual(ways.map((w) => w.kind), ['phone'])
    await assert.rejects(auth.unlinkIdentity(ways[0].id), { code: 'last_identity', status: 409 })
    await assert.rejects(auth.unlinkIdentity('id/../../me'), { code: 'not_found' })
    assert.equal(srv.calls('DELETE', '/t/acme/me/identities/' + encodeURIComponent('id/../../me')).length, 1, 'the id is one path segment')
  })
})

test('wechatLoginURL: the website QR start URL, snsapi_login by default', () => {
  const auth = createClient({ baseURL: 'https://auth.example.com/', tenant: 'acme', storage: memoryStorage(), fetch: () => assert.fail('no request') })
  const u = new URL(auth.wechatLoginURL({ redirectURI: 'https://www.acme.com/signed-in?next=/orders' }))
  assert.equal(u.origin + u.pathname, 'https://auth.example.com/t/acme/oauth/wechat/start')
  assert.equal(u.searchParams.get('scope'), 'snsapi_login')
  assert.equal(u.searchParams.get('redirect_uri'), 'https://www.acme.com/signed-in?next=/orders')
  assert.equal(u.searchParams.has('appid'), false)
  assert.equal(new URL(auth.wechatLoginURL({ redirectURI: 'https://x.test/', appid: 'wxweb0123456789ab' })).searchParams.get('appid'), 'wxweb0123456789ab')
  assert.throws(() => auth.wechatLoginURL({}), { code: 'invalid_request' })
})

test('handleRedirect in a page: reads the fragment, clears it from the address bar', async () => {
  await withFake({}, async (srv, auth) => {
    const answer = await post(srv.url + '/t/acme/login', { code: (await post(srv.url + '/mock/wx.login', { user: 'redirect' })).code })
    const href = 'https://www.acme.com/signed-in?tab=1#session=' + answer.session + '&token_type=Bearer&expires_in=3600&user_id=' + answer.user.id + '&is_new=false'
    const replaced = []
    globalThis.location = { href }
    globalThis.history = { state: null, replaceState: (s, t, url) => replaced.push(url) }
    try {
      const user = await auth.handleRedirect()
      assert.equal(user.id, answer.user.id)
      assert.equal(user.is_new, false)
      assert.deepEqual(replaced, ['https://www.acme.com/signed-in?tab=1'])
      assert.equal(auth.session().session, answer.session)
      const ticket = 'https://www.acme.com/signed-in#registered=false&signup_ticket=mat_abc&expires_in=600'
      await assert.rejects(auth.handleRedirect(ticket), { code: 'signup_required', signup_ticket: 'mat_abc', expires_in: 600 })
      await assert.rejects(auth.handleRedirect('https://www.acme.com/signed-in#error=snapshot_user'), { code: 'snapshot_user' })
    } finally {
      delete globalThis.location
      delete globalThis.history
    }
  })
})

test('storage is pluggable: two tabs on one storage share the session, and the renewal one of them made', async () => {
  await withFake({}, async (srv) => {
    const storage = memoryStorage()
    let renewals = 0
    const renew = async (a) => {
      renewals++
      a.useSession(await post(srv.url + '/t/acme/login', { code: (await post(srv.url + '/mock/wx.login', { user: 'tabs' })).code }))
    }
    let release
    const gate = new Promise((resolve) => { release = resolve })
    let held = false
    // tab2's first request leaves with the session both tabs hold, and arrives after tab1 renewed it.
    const slow = async (url, init) => {
      if (!held) { held = true; await gate }
      return fetch(url, init)
    }
    const tab1 = createClient({ baseURL: srv.url, tenant: 'acme', storage, renew })
    const tab2 = createClient({ baseURL: srv.url, tenant: 'acme', storage, renew, fetch: slow })
    await renew(tab1)
    renewals = 0
    assert.equal(tab2.currentUser().id, tab1.currentUser().id)
    const dead = tab1.session().session
    srv.revoke(dead)
    const late = tab2.fetch('/me')
    assert.equal((await tab1.fetch('/me')).status, 200)
    assert.equal(renewals, 1)
    release()
    assert.equal((await late).status, 200)
    assert.equal(renewals, 1, 'tab2 took the session tab1 renewed')
    const sent = srv.calls('GET', '/t/acme/me').map((c) => c.headers.authorization)
    assert.deepEqual(sent, ['Bearer ' + dead, 'Bearer ' + tab1.session().session, 'Bearer ' + dead, 'Bearer ' + tab1.session().session])
  })
})

test('miniauth.d.ts declares every public method of the module', async () => {
  const { readFile } = await import('node:fs/promises')
  const dts = await readFile(new URL('../miniauth.d.ts', import.meta.url), 'utf8')
  const { Client } = await import('../miniauth.js')
  const names = Object.getOwnPropertyNames(Client.prototype).filter((n) => n !== 'constructor' && !n.startsWith('_'))
  assert.ok(names.length > 15)
  for (const n of names) assert.match(dts, new RegExp('\\n  (readonly )?' + n + '[(:]'), 'miniauth.d.ts lacks ' + n)
  for (const n of ['createClient', 'memoryStorage']) assert.match(dts, new RegExp('function ' + n + '\\('))
})

test('linkIdentity joins the WeChat app to an SMS account; the app then signs in to it; identity_in_use', async () => {
  await withFake({}, async (srv, auth) => {
    await auth.sendSmsCode(phone)
    const user = await auth.loginWithSms(phone, await srv.lastCode(phone))
    const { code } = await post(srv.url + '/mock/app.auth', { appid: 'wxapp0123456789ab', user: 'linker' })
    const ways = await auth.linkIdentity({ kind: 'mobileapp', code })
    assert.deepEqual(ways.map((w) => w.kind).sort(), ['mobileapp', 'phone'])
    assert.deepEqual(srv.calls('POST', '/t/acme/me/identities')[0].body, { kind: 'mobileapp', code })
    const again = await auth.loginWithWeChatApp((await post(srv.url + '/mock/app.auth', { appid: 'wxapp0123456789ab', user: 'linker' })).code)
    assert.equal(again.id, user.id)

    const other = createClient({ baseURL: srv.url, tenant: 'acme', storage: memoryStorage() })
    await other.sendSmsCode('+8613900139000')
    await other.loginWithSms('+8613900139000', await srv.lastCode('+8613900139000'))
    const taken = (await post(srv.url + '/mock/app.auth', { appid: 'wxapp0123456789ab', user: 'linker' })).code
    await assert.rejects(other.linkIdentity({ kind: 'mobileapp', code: taken }), { code: 'identity_in_use', status: 409 })
    await assert.rejects(other.linkIdentity({ kind: 'mobileapp' }), { code: 'invalid_request' })
  })
})

test('a wrong code in bindPhoneWithSms is a 401 of its own: no renewal, no retry, the session kept', async () => {
  await withFake({}, async (srv) => {
    let renewals = 0
    const auth = createClient({ baseURL: srv.url, tenant: 'acme', storage: memoryStorage(), renew: async () => { renewals++ } })
    let expired = 0
    auth.on('expired', () => expired++)
    auth.useSession(await post(srv.url + '/t/acme/login', { code: (await post(srv.url + '/mock/wx.login', { user: 'wrong-code' })).code }))
    const session = auth.session().session
    await auth.sendSmsCode(phone, 'bind')
    const code = await srv.lastCode(phone)
    await assert.rejects(auth.bindPhoneWithSms(phone, code === '000000' ? '111111' : '000000'), { code: 'invalid_sms_code', status: 401 })
    assert.equal(renewals, 0)
    assert.equal(expired, 0)
    assert.equal(srv.calls('POST', '/t/acme/me/phone/sms').length, 1, 'sent once: a retry would spend another of the 5 tries')
    assert.equal(auth.session().session, session)
    assert.equal((await auth.bindPhoneWithSms(phone, code)).phone_bound, true)
  })
})
