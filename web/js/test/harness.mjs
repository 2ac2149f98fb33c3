// What the Go harness (web/js_test.go) tells the tests: where a running
// miniauth and WeChat simulator are, and the tenant's apps there.
const env = process.env

export const h = {
  url: env.MINIAUTH_URL,
  wxmock: env.WXMOCK_URL,
  tenant: env.MINIAUTH_TENANT || 'acme',
  appid: env.MINIAUTH_APPID,
  oaAppid: env.MINIAUTH_OA_APPID,
  mobileAppid: env.MINIAUTH_MOBILE_APPID,
  webAppid: env.MINIAUTH_WEB_APPID,
  // a tenant with SMS set up, through the SMS simulator
  smsmock: env.SMSMOCK_URL,
  smsTenant: env.MINIAUTH_SMS_TENANT,
  smsAppid: env.MINIAUTH_SMS_APPID,
  redirectURI: env.MINIAUTH_REDIRECT_URI
}

// skip is the reason to skip when no harness runs (node --test alone).
h.skip = h.url && h.wxmock ? false : 'no miniauth to talk to: run through `go test ./web -run TestBrowserModule` or `make test`'

let seq = 0
/** A fresh simulated WeChat user name. */
h.user = (name) => `${name}-${process.pid}-${++seq}`

/** POSTs JSON and answers {status, body}. */
export async function post (url, body, token) {
  const headers = { 'content-type': 'application/json' }
  if (token) headers.authorization = 'Bearer ' + token
  const res = await fetch(url, { method: 'POST', headers, body: body ? JSON.stringify(body) : undefined })
  const text = await res.text()
  return { status: res.status, body: text ? JSON.parse(text) : null }
}

/**
 * A login answer of the real server for a simulated WeChat user: what a
 * page gets from a mini-program's web-view, or from its own backend, to
 * hand to useSession(). (A browser has no wx.login; the module's own ways
 * in are SMS, the WeChat app and web OAuth.)
 */
export async function loginAnswer (user, tenant = h.tenant, appid = h.appid) {
  // A setup step, not under test: on a starved machine Redis may miss the
  // server's 1 s deadline (503 unavailable), so it tries again, with a new
  // code each time, instead of failing the test that needed a session.
  for (let attempt = 1; ; attempt++) {
    const code = (await post(h.wxmock + '/mock/wx.login', { appid, user })).body.code
    const res = await post(`${h.url}/t/${tenant}/login`, { code })
    if (res.status === 200) return res.body
    if (res.status !== 503 || attempt === 10) throw new Error('login: ' + JSON.stringify(res))
    await new Promise((resolve) => setTimeout(resolve, 250 * attempt))
  }
}

/** A SendAuth code of the tenant's mobile app for user, as the WeChat app hands it to the native side. */
export async function sendAuth (user) {
  const res = await post(h.wxmock + '/mock/app.auth', { appid: h.mobileAppid, user })
  if (res.status !== 200 || res.body.errCode !== 0 || !res.body.code) throw new Error('app.auth: ' + JSON.stringify(res))
  return res.body.code
}

/** A wx.login code of the tenant's mini-program for user. */
export async function wxLogin (user) {
  return (await post(h.wxmock + '/mock/wx.login', { appid: h.appid, user })).body.code
}

/** A fresh mobile number (+86 139…) for this run. */
h.phone = () => '+86139' + String((process.pid * 1000 + ++seq) % 1e8).padStart(8, '0')

/** The code of the last SMS the simulator delivered to phone, read as the person reads it. */
export async function inboxCode (phone) {
  const res = await fetch(h.smsmock + '/mock/sms?phone=' + encodeURIComponent(phone))
  const m = (await res.json()).messages[0]
  if (!m || !m.code) throw new Error('no SMS with a code for ' + phone)
  return m.code
}

/** A fetch that counts the calls per "METHOD path" (of any host). */
export function countingFetch () {
  const counts = new Map()
  const f = (url, init) => {
    const key = ((init && init.method) || 'GET') + ' ' + new URL(url).pathname
    counts.set(key, (counts.get(key) || 0) + 1)
    return fetch(url, init)
  }
  f.count = (key) => counts.get(key) || 0
  return f
}
