/**
 * miniauth for websites and H5 pages: an ES module with no dependencies and
 * no build step (README.md beside it).
 *
 *   import { createClient } from './miniauth.js'
 *   const auth = createClient({ baseURL: 'https://auth.example.com', tenant: 'acme' })
 *   await auth.sendSmsCode('+8613800138000')          // then the user types the code
 *   await auth.loginWithSms('+8613800138000', code)
 *   const res = await auth.fetch('https://api.acme.com/orders', { auth: 'access_token' })
 *
 * The session token is kept in localStorage (or the storage you pass) under
 * miniauth:<tenant>. A 401 renews the session once for every request that
 * failed with it (the renew option says how: show the sign-in again), and
 * an access token the tenant's backend refused is fetched again once from
 * POST /token, likewise shared.
 */

const STORAGE_PREFIX = 'miniauth:'
const EARLY_MS = 30000 // an access token with less than this to live is fetched again

/** Error of a miniauth call: the API's error code, HTTP status, message and request id. */
export class MiniauthError extends Error {
  constructor (code, message, status, requestId) {
    super(message || code)
    this.name = 'MiniauthError'
    this.code = code
    this.status = status || 0
    this.requestId = requestId || ''
  }
}

/** A Storage-shaped object in memory (for tests, server rendering, or a page that must not persist). */
export function memoryStorage () {
  const m = new Map()
  return {
    getItem: (k) => (m.has(k) ? m.get(k) : null),
    setItem: (k, v) => { m.set(k, String(v)) },
    removeItem: (k) => { m.delete(k) }
  }
}

async function errorOf (res) {
  let body = null
  try { body = await res.json() } catch (e) { /* not JSON */ }
  const e = body && body.error
  const err = e && e.code
    ? new MiniauthError(e.code, e.message, res.status, e.request_id)
    : new MiniauthError('http_' + res.status, 'unexpected answer from miniauth', res.status, res.headers.get('x-request-id'))
  const retry = parseInt(res.headers.get('retry-after'), 10)
  if (retry >= 0) err.retryAfter = retry
  return err
}

// localStorage, where the page may use it (reading it throws where the
// browser blocks site data), else memory.
function defaultStorage () {
  try {
    if (typeof localStorage !== 'undefined' && localStorage) return localStorage
  } catch (e) { /* blocked */ }
  return memoryStorage()
}

function signupRequired (data) {
  const err = new MiniauthError('signup_required', 'this tenant needs a sign-up first: call register() with err.signup_ticket', 200)
  err.signup_ticket = data.signup_ticket || ''
  err.expires_in = Number(data.expires_in) || 0
  err.answer = data
  return err
}

/** Runs fn once for any number of concurrent callers: they share its promise until it settles. */
function shared (holder, key, fn) {
  if (holder[key]) return holder[key]
  const p = fn()
  holder[key] = p
  const done = () => { if (holder[key] === p) holder[key] = null }
  p.then(done, done)
  return p
}

export class Client {
  /**
   * @param {object} options
   * @param {string} options.baseURL  miniauth's address, e.g. https://auth.example.com
   * @param {string} options.tenant   the tenant's slug
   * @param {Storage} [options.storage]  where the session is kept (default localStorage; memoryStorage() keeps it in the page)
   * @param {function(Client): Promise<unknown>} [options.renew]  signs the user in again after a 401 (see README)
   * @param {typeof fetch} [options.fetch]  the fetch to use (default the global one)
   * @param {function(): number} [options.now]  clock in ms (default Date.now)
   */
  constructor (options) {
    if (!options || !options.baseURL || !options.tenant) {
      throw new MiniauthError('invalid_options', 'createClient needs baseURL and tenant')
    }
    this.baseURL = String(options.baseURL).replace(/\/+$/, '')
    this.tenant = options.tenant
    this.storage = options.storage || defaultStorage()
    this.storageKey = STORAGE_PREFIX + this.tenant
    this.renew = options.renew || null
    const f = options.fetch || (typeof fetch !== 'undefined' ? fetch : null)
    if (!f) throw new MiniauthError('invalid_options', 'no fetch: pass options.fetch')
    this._fetch = (url, init) => f(url, init) // a bare global fetch must not be called as a method
    this.now = options.now || Date.now
    this._listeners = { login: [], logout: [], expired: [] }
    this._inFlight = {} // renewal and token, each shared while it runs
    this._renewedFrom = '' // the last session a renewal replaced (or tried to)
  }

  /** The tenant's API root: <baseURL>/t/<tenant>. */
  get api () { return this.baseURL + '/t/' + encodeURIComponent(this.tenant) }

  // --- storage

  _stored () {
    let s = null
    try { s = JSON.parse(this.storage.getItem(this.storageKey)) } catch (e) { return null }
    return s && typeof s === 'object' && s.session ? s : null
  }

  _store (s) { this.storage.setItem(this.storageKey, JSON.stringify(s)) }

  _forget () { try { this.storage.removeItem(this.storageKey) } catch (e) { /* nothing to forget */ } }

  /** The stored session {session, expiresAt, user, accessToken?, accessTokenExpiresAt?}, or null when none or expired. */
  session () {
    const s = this._stored()
    return s && s.expiresAt > this.now() ? s : null
  }

  isLoggedIn () { return this.session() !== null }

  /** The user as last seen; null when logged out. */
  currentUser () {
    const s = this.session()
    return s ? s.user : null
  }

  // --- events

  /** on('login', fn(user)), on('logout', fn()), on('expired', fn()) (a 401 ended the session); returns the unsubscriber. */
  on (event, fn) {
    const list = this._listeners[event]
    if (!list) throw new MiniauthError('invalid_event', 'events are login, logout and expired')
    list.push(fn)
    return () => this.off(event, fn)
  }

  off (event, fn) {
    const list = this._listeners[event] || []
    const i = list.indexOf(fn)
    if (i >= 0) list.splice(i, 1)
  }

  _emit (event, arg) {
    for (const fn of this._listeners[event].slice()) {
      try { fn(arg) } catch (e) { /* a listener's bug must not break sign-in */ }
    }
  }

  // --- calls to miniauth

  async _api (method, path, body, token) {
    const headers = {}
    if (body !== undefined) headers['content-type'] = 'application/json'
    if (token) headers.authorization = 'Bearer ' + token
    const res = await this._fetch(this.api + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
    if (!res.ok) throw await errorOf(res)
    return res.status === 204 ? null : res.json()
  }

  /**
   * Stores a login's answer ({session, expires_in, user, access_token?,
   * access_token_expires_in?}) and emits login; a sign-up ticket instead
   * ({registered: false, signup_ticket}) rejects with signup_required. Use
   * it for a session your page got another way.
   */
  useSession (data) {
    const user = this._save(data)
    this._emit('login', user)
    return user
  }

  _save (data) {
    if (!data || !data.session) throw signupRequired(data || {})
    const now = this.now()
    const s = { session: data.session, expiresAt: now + (Number(data.expires_in) || 0) * 1000, user: data.user || null }
    if (data.access_token) {
      s.accessToken = data.access_token
      s.accessTokenExpiresAt = now + (Number(data.access_token_expires_in) || 0) * 1000
    }
    this._store(s)
    return s.user
  }

  // --- SMS

  /**
   * Sends a code by SMS (POST /sms/send) to phone, in E.164
   * (+8613800138000), for 'login' or 'bind'. Resolves with {expires_in,
   * resend_after}; rate_limited rejects with err.retryAfter.
   */
  async sendSmsCode (phone, purpose = 'login') {
    if (!phone) throw new MiniauthError('invalid_phone', 'no phone number')
    return this._api('POST', '/sms/send', { phone, purpose })
  }

  /** Signs in with the code sent for 'login' (POST /login/sms); resolves with the user. */
  async loginWithSms (phone, code) {
    if (!phone || !code) throw new MiniauthError('invalid_request', 'loginWithSms needs the phone and the code')
    return this.useSession(await this._api('POST', '/login/sms', { phone, code }))
  }

  /** Binds or changes the signed-in user's phone with a code sent for 'bind' (POST /me/phone/sms). */
  async bindPhoneWithSms (phone, code) {
    if (!phone || !code) throw new MiniauthError('invalid_request', 'bindPhoneWithSms needs the phone and the code')
    return this._userCall('/me/phone/sms', { method: 'POST', body: { phone, code } })
  }

  // --- WeChat

  /**
   * Signs in with a WeChat Open SDK SendAuth code (POST /login/wechat-app),
   * for a hybrid app whose page receives the code from the native side.
   */
  async loginWithWeChatApp (code, appid) {
    if (!code) throw new MiniauthError('invalid_request', 'loginWithWeChatApp needs the SendAuth code')
    const body = { code }
    if (appid) body.appid = appid
    return this.useSession(await this._api('POST', '/login/wechat-app', body))
  }

  /**
   * The URL that starts WeChat sign-in in the browser (GET
   * /oauth/wechat/start): scope snsapi_login shows the website QR code
   * (网站应用), snsapi_base and snsapi_userinfo are an official account's
   * H5 sign-in inside WeChat. redirectURI must be on the tenant's list; the
   * browser comes back there with the session in the fragment
   * (handleRedirect reads it).
   * @param {{redirectURI: string, scope?: string, appid?: string}} opts
   */
  wechatLoginURL (opts) {
    const o = opts || {}
    if (!o.redirectURI) throw new MiniauthError('invalid_request', 'wechatLoginURL needs the redirectURI to come back to')
    const q = new URLSearchParams({ redirect_uri: o.redirectURI, scope: o.scope || 'snsapi_login' })
    if (o.appid) q.set('appid', o.appid)
    return this.api + '/oauth/wechat/start?' + q.toString()
  }

  /** Sends the browser to wechatLoginURL(opts). */
  startWeChatLogin (opts) {
    globalThis.location.assign(this.wechatLoginURL(opts))
  }

  /**
   * Finishes a WeChat sign-in on the page it came back to: reads the
   * session from the URL's fragment, stores it, removes it from the address
   * bar, and resolves with the user (GET /me). Resolves with null when the
   * URL carries no sign-in; rejects with the error code WeChat sign-in came
   * back with (access_denied when the person declined), or with
   * signup_required and the ticket under the sign-up policies.
   * @param {string} [href] default location.href
   */
  async handleRedirect (href) {
    const url = new URL(href || globalThis.location.href)
    const frag = new URLSearchParams(url.hash.replace(/^#/, ''))
    const error = url.searchParams.get('error') || frag.get('error')
    const carried = error || frag.get('session') || frag.get('signup_ticket')
    if (!carried) return null
    if (!href && globalThis.history && globalThis.history.replaceState) {
      // The token must not stay in the address bar, the history or a bookmark.
      url.hash = ''
      url.searchParams.delete('error')
      globalThis.history.replaceState(globalThis.history.state, '', url.toString())
    }
    if (error) throw new MiniauthError(error, 'WeChat sign-in did not finish: ' + error, 0)
    if (frag.get('registered') === 'false') throw signupRequired(Object.fromEntries(frag))
    const isNew = frag.get('is_new') === 'true'
    this._save({ session: frag.get('session'), expires_in: frag.get('expires_in'), user: { id: frag.get('user_id'), is_new: isNew } })
    const user = Object.assign(await this.me(), { is_new: isNew })
    this._emit('login', user)
    return user
  }

  /** Finishes a sign-up with the ticket of a signup_required error (POST /register). */
  async register (form) {
    const f = form || {}
    if (!f.signup_ticket) throw new MiniauthError('invalid_request', 'register needs the signup_ticket of the signup_required error')
    const body = { signup_ticket: f.signup_ticket }
    for (const k of ['nickname', 'avatar_url', 'phone_code']) if (f[k]) body[k] = f[k]
    return this.useSession(await this._api('POST', '/register', body))
  }

  // --- authenticated requests

  /**
   * fetch with the session attached (Authorization: Bearer), or the JWT
   * access token with init.auth = 'access_token' (for the tenant's own
   * backend). A URL starting with "/" is relative to the tenant's miniauth
   * API. On a 401 it renews once, shared with every request that failed
   * with the same token, and retries once; it resolves with the Response
   * like fetch. Without a session (and no renew to get one) it rejects with
   * invalid_session.
   */
  async fetch (url, init) {
    const opts = Object.assign({}, init)
    const kind = opts.auth === 'access_token' ? 'access_token' : 'session'
    delete opts.auth
    if (String(url).charAt(0) === '/') url = this.api + url
    let token = kind === 'access_token' ? await this.getAccessToken() : await this._session()
    let res = await this._fetch(url, this._withToken(opts, token))
    if (res.status !== 401 || !(await this._refused(url, res))) return res
    token = kind === 'access_token' ? await this._renewAccessToken(token) : await this._renew(token)
    if (!token) return res
    res = await this._fetch(url, this._withToken(opts, token))
    return res
  }

  /**
   * Whether a 401 refused the token itself. miniauth says so with
   * invalid_session; its other 401s (invalid_sms_code, invalid_code) are
   * the caller's to handle, with the session intact. For any other URL (the
   * tenant's backend) a 401 is the token's.
   */
  async _refused (url, res) {
    if (!String(url).startsWith(this.api + '/')) return true
    try {
      const body = await res.clone().json()
      return !(body && body.error && body.error.code) || body.error.code === 'invalid_session'
    } catch (e) {
      return true
    }
  }

  _withToken (init, token) {
    const headers = new Headers(init.headers)
    headers.set('authorization', 'Bearer ' + token)
    return Object.assign({}, init, { headers })
  }

  /** The session token; renews first when there is none. */
  async _session () {
    const s = this.session()
    if (s) return s.session
    const token = await this._renew('')
    if (!token) throw new MiniauthError('invalid_session', 'not signed in', 401)
    return token
  }

  /**
   * The session after failed (a token that got a 401) died: a newer one
   * another request or tab already stored, else the outcome of one renewal
   * (the renew option) shared by everyone waiting. '' when there is none.
   */
  async _renew (failed) {
    const s = this.session()
    if (s && s.session !== failed) return s.session
    if (this._inFlight.renew) return this._inFlight.renew
    // A late 401 of a session whose renewal already ran (and failed) starts no second one.
    if (failed && failed === this._renewedFrom) return ''
    return shared(this._inFlight, 'renew', async () => {
      this._renewedFrom = failed
      const stored = this._stored()
      if (failed && stored && stored.session === failed) {
        this._forget()
        this._emit('expired')
      }
      if (!this.renew) return ''
      try {
        await this.renew(this)
      } catch (e) {
        return ''
      }
      const after = this.session()
      return after ? after.session : ''
    })
  }

  /**
   * A JWT access token for the tenant's backend: the stored one while it
   * has more than 30 s to live, else a fresh one from POST /token (a tenant
   * may give none at login). Concurrent calls share one POST /token; a dead
   * session is renewed first.
   */
  async getAccessToken () {
    const s = this.session()
    if (s && s.accessToken && s.accessTokenExpiresAt - EARLY_MS > this.now()) return s.accessToken
    return shared(this._inFlight, 'token', async () => this._newAccessToken(await this._session()))
  }

  /** After the backend refused failed: the token another request fetched since, or one new one shared by all. */
  async _renewAccessToken (failed) {
    const s = this.session()
    if (s && s.accessToken && s.accessToken !== failed && s.accessTokenExpiresAt - EARLY_MS > this.now()) return s.accessToken
    return shared(this._inFlight, 'token', async () => this._newAccessToken(await this._session())).catch((e) => {
      if (e.code === 'invalid_session') return ''
      throw e
    })
  }

  async _newAccessToken (session) {
    let data
    try {
      data = await this._api('POST', '/token', undefined, session)
    } catch (e) {
      if (e.status !== 401) throw e
      const renewed = await this._renew(session)
      if (!renewed) throw e
      data = await this._api('POST', '/token', undefined, renewed)
      session = renewed
    }
    const s = this._stored()
    if (s && s.session === session) {
      s.accessToken = data.access_token
      s.accessTokenExpiresAt = this.now() + data.access_token_expires_in * 1000
      this._store(s)
    }
    return data.access_token
  }

  // --- the user

  async _userCall (path, init) {
    const opts = Object.assign({}, init)
    if (opts.body !== undefined) {
      opts.body = JSON.stringify(opts.body)
      opts.headers = { 'content-type': 'application/json' }
    }
    const res = await this.fetch(path, opts)
    if (res.status === 204) return null
    if (!res.ok) throw await errorOf(res)
    const data = await res.json()
    if (data.user) this._setUser(data.user)
    return data.user !== undefined ? data.user : data
  }

  _setUser (user) {
    const s = this._stored()
    if (s) {
      s.user = user
      this._store(s)
    }
  }

  /** GET /me: the user, also kept as currentUser(). */
  me () { return this._userCall('/me') }

  /** PATCH /me {nickname?, avatar_url?}. */
  updateProfile (profile) { return this._userCall('/me', { method: 'PATCH', body: profile }) }

  /** GET /me/identities: the ways the user can sign in, [{id, kind, app_id?, last_used_at}]. */
  async identities () {
    return (await this._userCall('/me/identities')).identities
  }

  /**
   * POST /me/identities {kind, code, appid?}: links another way in, by a
   * code made for the same person (kind 'mobileapp': a SendAuth code;
   * 'miniprogram': a wx.login code). Resolves with identities();
   * identity_in_use (409) when that way in is another user's.
   */
  async linkIdentity (link) {
    const l = link || {}
    if (!l.kind || !l.code) throw new MiniauthError('invalid_request', 'linkIdentity needs the kind and the code')
    const body = { kind: l.kind, code: l.code }
    if (l.appid) body.appid = l.appid
    return (await this._userCall('/me/identities', { method: 'POST', body })).identities
  }

  /** DELETE /me/identities/{id}; 409 last_identity for the last way in. */
  async unlinkIdentity (id) {
    if (!id) throw new MiniauthError('invalid_request', 'unlinkIdentity needs the id of one of identities()')
    await this._userCall('/me/identities/' + encodeURIComponent(id), { method: 'DELETE' })
  }

  /** Ends the session on miniauth (best effort) and forgets it here. */
  async logout () {
    const s = this._stored()
    this._forget()
    if (s) await this._api('POST', '/logout', undefined, s.session).catch(() => {})
    this._emit('logout')
  }
}

/** createClient(options) is new Client(options). */
export function createClient (options) { return new Client(options) }
