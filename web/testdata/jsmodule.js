// The page of TestBrowserModule's browser step (web/js_test.go): a real
// WeChat sign-in (the website's QR login) with the browser module, then the session used across
// origins (CORS) from a page under a strict CSP. The outcome goes to
// document.body.dataset.result as JSON.
import { createClient } from './miniauth.js'

const problems = []
window.addEventListener('securitypolicyviolation', (e) => problems.push('CSP: ' + e.violatedDirective + ' ' + e.blockedURI))
window.addEventListener('error', (e) => problems.push('error: ' + e.message))

const q = new URLSearchParams(location.search)
const tenant = q.get('tenant')
const auth = createClient({ baseURL: q.get('auth'), tenant })
let step = 'start'
const report = (r) => { document.body.dataset.result = JSON.stringify(Object.assign({ problems }, r)) }

async function run () {
  if (!location.hash) {
    if (auth.isLoggedIn()) return report({ problem: 'signed in before any sign-in' })
    // Back to this very page, its query kept (the tenant's list holds the path).
    auth.startWeChatLogin({ redirectURI: location.origin + location.pathname + location.search, scope: q.get('scope'), appid: q.get('appid') })
    return
  }
  const r = {}
  step = 'handleRedirect'
  const user = await auth.handleRedirect()
  r.user_id = user && user.id
  r.is_new = user && user.is_new
  r.href_after = location.href
  const token = auth.session().session
  r.stored = JSON.parse(localStorage.getItem('miniauth:' + tenant)).session === token
  step = 'fetch /me'
  const me = await auth.fetch('/me')
  r.me_status = me.status
  r.me_id = (await me.json()).user.id
  r.request_id = me.headers.get('x-request-id') || ''
  step = 'getAccessToken'
  try {
    r.jwt_parts = (await auth.getAccessToken()).split('.').length
  } catch (e) {
    r.token_error = ((e && e.code) || '') + ' ' + ((e && e.message) || e)
  }
  step = 'logout'
  await auth.logout()
  r.after_logout = localStorage.getItem('miniauth:' + tenant)
  step = 'the old session'
  r.dead_status = (await fetch(auth.api + '/me', { headers: { authorization: 'Bearer ' + token } })).status
  report(r)
}

run().catch((e) => report({ problem: step + ': ' + ((e && e.code) || '') + ' ' + ((e && e.message) || e) }))
