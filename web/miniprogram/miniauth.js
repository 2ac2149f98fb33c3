/**
 * miniauth mini-program SDK.
 *
 *   const miniauth = require('./miniauth')
 *   const auth = miniauth.createClient({ baseURL: 'https://auth.example.com', tenant: 'acme' })
 *   await auth.login()                       // wx.login + POST /t/acme/login, or the stored session
 *   // under the signup / existing_only policies login() may reject with
 *   // err.code === 'signup_required': then auth.register({ signup_ticket: err.signup_ticket, nickname })
 *   const res = await auth.request({ url: 'https://api.acme.com/orders' })
 *   await auth.uploadAvatar(e.detail.avatarUrl)   // <button open-type="chooseAvatar">
 *
 * On uni-app or Taro, pass their API object in place of wx:
 * createClient({ platform: uni, ... }) or miniauth.use(Taro) once (adapt()).
 *
 * The SDK keeps the session token (and its expiry) with wx.setStorageSync.
 * It never receives WeChat's session_key: miniauth keeps that server-side.
 * Plain CommonJS, no dependencies, ES2017: it runs in every mini-program
 * base library and under Node for the tests.
 */
'use strict'

const STORAGE_PREFIX = 'miniauth:'

/** Error of a miniauth call: the API's error code, status and message. */
class MiniauthError extends Error {
  constructor (code, message, status, requestId) {
    super(message || code)
    this.name = 'MiniauthError'
    this.code = code
    this.status = status || 0
    this.requestId = requestId || ''
  }
}

/** Promisifies one wx API that takes {success, fail}. */
function call (wxImpl, name, args) {
  return new Promise(function (resolve, reject) {
    wxImpl[name](Object.assign({}, args, {
      success: resolve,
      fail: function (err) {
        reject(new MiniauthError('wx_' + name + '_failed', (err && err.errMsg) || name + ' failed'))
      }
    }))
  })
}

function errorOf (res) {
  const e = res && res.data && res.data.error
  const err = e && e.code
    ? new MiniauthError(e.code, e.message, res.statusCode, e.request_id)
    : new MiniauthError('http_' + (res ? res.statusCode : 0), 'unexpected answer from miniauth', res ? res.statusCode : 0)
  // rate_limited (and some 409s and 503s) say when to try again.
  const retry = parseInt(headerOf(res, 'retry-after'), 10)
  if (retry >= 0) err.retryAfter = retry
  return err
}

/** A response header by name, whatever case the platform gives it in. */
function headerOf (res, name) {
  const h = (res && res.header) || {}
  for (const k in h) {
    if (k.toLowerCase() === name) return h[k]
  }
  return undefined
}

/**
 * The error login() rejects with when the tenant wants an explicit sign-up:
 * code signup_required, with the ticket for register() and its lifetime.
 */
function signupRequired (data) {
  const err = new MiniauthError('signup_required', 'this tenant needs a sign-up first: call register() with err.signup_ticket', 200)
  err.signup_ticket = data.signup_ticket || ''
  err.expires_in = data.expires_in || 0
  err.answer = data
  return err
}

class Client {
  /**
   * @param {object} options
   * @param {string} options.baseURL   miniauth's address, e.g. https://auth.example.com
   * @param {string} options.tenant    the tenant's slug
   * @param {string} [options.appid]   another of the tenant's mini-programs than its default
   * @param {object} [options.wx]      the wx object (default: the global wx)
   * @param {object} [options.platform] uni (uni-app) or Taro in place of wx: see adapt()
   * @param {function(): number} [options.now]  clock in ms (default Date.now)
   */
  constructor (options) {
    if (!options || !options.baseURL || !options.tenant) {
      throw new MiniauthError('invalid_options', 'createClient needs baseURL and tenant')
    }
    this.baseURL = String(options.baseURL).replace(/\/+$/, '')
    this.tenant = options.tenant
    this.appid = options.appid || ''
    /* global wx */
    const platform = options.platform || defaultPlatform
    this.wx = options.wx || (platform && adapt(platform)) || (typeof wx !== 'undefined' ? wx : null)
    if (!this.wx) throw new MiniauthError('invalid_options', 'no wx object: pass options.wx, or options.platform (uni, Taro)')
    this.now = options.now || Date.now
    this.storageKey = STORAGE_PREFIX + this.tenant + (this.appid ? ':' + this.appid : '')
    this._listeners = { login: [], logout: [], phoneError: [] }
    this._loginInFlight = null
    this._tokenInFlight = null
  }

  /** The tenant's API root: <baseURL>/t/<tenant>. */
  get api () { return this.baseURL + '/t/' + encodeURIComponent(this.tenant) }

  // --- storage

  _stored () {
    let s
    try { s = this.wx.getStorageSync(this.storageKey) } catch (e) { return null }
    if (!s || typeof s !== 'object' || !s.session) return null
    return s
  }

  _store (s) { this.wx.setStorageSync(this.storageKey, s) }

  _forget () { try { this.wx.removeStorageSync(this.storageKey) } catch (e) {} }

  /** The stored session, or null when there is none or it has expired. */
  session () {
    const s = this._stored()
    if (!s || !(s.expiresAt > this.now())) return null
    return s
  }

  /** Whether a live session is stored. */
  isLoggedIn () { return this.session() !== null }

  /** The user as last seen, synchronously; null when logged out. */
  currentUser () {
    const s = this.session()
    return s ? s.user : null
  }

  // --- events

  /**
   * on('login', fn(user)), on('logout', fn()) or on('phoneError', fn(err)) (a phoneCode given to
   * login() was not bound; the login worked); returns a function that unsubscribes.
   */
  on (event, fn) {
    const list = this._listeners[event]
    if (!list) throw new MiniauthError('invalid_event', 'events are login, logout and phoneError')
    list.push(fn)
    const self = this
    return function () { self.off(event, fn) }
  }

  off (event, fn) {
    const list = this._listeners[event] || []
    const i = list.indexOf(fn)
    if (i >= 0) list.splice(i, 1)
  }

  _emit (event, arg) {
    this._listeners[event].slice().forEach(function (fn) {
      try { fn(arg) } catch (e) { /* a listener's bug must not break login */ }
    })
  }

  // --- HTTP

  /** One wx.request, answered as {statusCode, data, header}; never rejects on HTTP status. */
  _raw (opts) {
    return call(this.wx, 'request', {
      url: opts.url,
      method: opts.method || 'GET',
      data: opts.data,
      header: Object.assign({ 'content-type': 'application/json' }, opts.header),
      timeout: opts.timeout
    })
  }

  /** A call to miniauth itself; rejects with MiniauthError on an error answer. */
  async _api (method, path, data, token) {
    const header = token ? { Authorization: 'Bearer ' + token } : {}
    const res = await this._raw({ url: this.api + path, method: method, data: data, header: header })
    if (res.statusCode >= 200 && res.statusCode < 300) return res.data
    throw errorOf(res)
  }

  // --- login

  /**
   * Logs in: reuses the stored session while wx.checkSession says WeChat's
   * login state still holds, else runs wx.login and posts the code. Several
   * calls at once share one login. Resolves with the user.
   * @param {{force?: boolean, phoneCode?: string}} [opts]
   */
  login (opts) {
    opts = opts || {}
    if (this._loginInFlight) return this._loginInFlight
    const self = this
    this._loginInFlight = (async function () {
      const s = self.session()
      if (s && !opts.force && !opts.phoneCode) {
        const ok = await call(self.wx, 'checkSession', {}).then(function () { return true }, function () { return false })
        if (ok) return s.user
      }
      const code = (await call(self.wx, 'login', {})).code
      const body = { code: code }
      if (self.appid) body.appid = self.appid
      if (opts.phoneCode) body.phone_code = opts.phoneCode
      const data = await self._api('POST', '/login', body)
      self._signedIn(data)
      if (data.phone_error) {
        // Logged in, but the number was not bound: the page may ask for the button again.
        self._emit('phoneError', new MiniauthError(data.phone_error.code, data.phone_error.message, 200, ''))
      }
      return data.user
    })()
    this._loginInFlight.then(function () { self._loginInFlight = null }, function () { self._loginInFlight = null })
    return this._loginInFlight
  }

  /** Stores a login's answer and emits login; a sign-up ticket instead rejects with signup_required. */
  _signedIn (data) {
    if (!data.session) throw signupRequired(data)
    this._save(data)
    this._emit('login', data.user)
    return data.user
  }

  _save (data) {
    const now = this.now()
    const s = {
      session: data.session,
      expiresAt: now + (data.expires_in || 0) * 1000,
      user: data.user || null
    }
    if (data.access_token) {
      s.accessToken = data.access_token
      s.accessTokenExpiresAt = now + (data.access_token_expires_in || 0) * 1000
    }
    this._store(s)
  }

  /**
   * Finishes a sign-up (tenant policies signup and existing_only): posts
   * the ticket of login()'s signup_required error, with what the user
   * gave, to /register, stores the session and resolves with the user.
   * A refused sign-up (phone_in_use, not_registered, …) rejects with a
   * MiniauthError and leaves the ticket usable until it expires.
   * @param {{signup_ticket: string, nickname?: string, avatar_url?: string, phone_code?: string}} form
   */
  async register (form) {
    const f = form || {}
    if (!f.signup_ticket) throw new MiniauthError('invalid_request', 'register needs the signup_ticket of login()\'s signup_required error')
    const body = { signup_ticket: f.signup_ticket }
    if (f.nickname) body.nickname = f.nickname
    if (f.avatar_url) body.avatar_url = f.avatar_url
    if (f.phone_code) body.phone_code = f.phone_code
    return this._signedIn(await this._api('POST', '/register', body))
  }

  // --- SMS codes (the tenant's SMS settings must be configured)

  /**
   * Sends a 6-digit code by SMS to phone (E.164, e.g. +8613800138000) for
   * purpose 'login' (loginWithSms) or 'bind' (bindPhoneWithSms). Resolves
   * with {expires_in, resend_after} (seconds): keep the "send again" button
   * off for resend_after. A 429 rejects with code rate_limited and
   * err.retryAfter. The answer is the same whether or not the phone has an
   * account.
   * @param {string} phone
   * @param {'login'|'bind'} [purpose]
   */
  async sendSmsCode (phone, purpose) {
    if (!phone) throw new MiniauthError('invalid_phone', 'no phone number')
    return this._api('POST', '/sms/send', { phone: phone, purpose: purpose || 'login' })
  }

  /**
   * Logs in with the code sendSmsCode(phone, 'login') sent: the same
   * answer, policies and events as login(). A wrong, expired or used code
   * rejects with invalid_sms_code (ask for it again; after 5 wrong tries
   * the code is spent and a new one must be sent).
   */
  async loginWithSms (phone, code) {
    if (!phone || !code) throw new MiniauthError('invalid_request', 'loginWithSms needs the phone and the code')
    return this._signedIn(await this._api('POST', '/login/sms', { phone: phone, code: code }))
  }

  /**
   * Binds phone (or changes the user's phone to it) with the code
   * sendSmsCode(phone, 'bind') sent; logs in first when needed. Resolves
   * with the user; phone_in_use (409) when another user has that number.
   */
  async bindPhoneWithSms (phone, code) {
    if (!phone || !code) throw new MiniauthError('invalid_request', 'bindPhoneWithSms needs the phone and the code')
    const res = await this.request({ url: '/me/phone/sms', method: 'POST', data: { phone: phone, code: code } })
    if (res.statusCode !== 200) throw errorOf(res)
    this._setUser(res.data.user)
    return res.data.user
  }

  /**
   * A login after a 401 with token: when another request already
   * replaced that token, reuse the new one; else one forced login serves
   * every request that failed together.
   */
  async _relogin (token) {
    if (this._loginInFlight) await this._loginInFlight.catch(function () {})
    const s = this.session()
    if (s && s.session !== token) return s.session
    await this.login({ force: true })
    return this.session().session
  }

  // --- requests

  /**
   * wx.request with the session attached (Authorization: Bearer); logs in
   * first when needed, and on a 401 logs in again once and retries. A URL
   * starting with "/" is relative to the tenant's miniauth API. With
   * auth: 'access_token' the JWT access token is sent instead of the
   * session token. Resolves with {statusCode, data, header} like wx.request.
   */
  async request (options) {
    const opts = Object.assign({}, options)
    if (opts.url && opts.url.charAt(0) === '/') opts.url = this.api + opts.url
    let token = await this._token(opts.auth)
    let res = await this._raw(Object.assign({}, opts, { header: this._auth(opts.header, token) }))
    if (res.statusCode === 401 && this._refused(opts.url, res)) {
      const session = await this._relogin(this._sessionOf(opts.auth, token))
      token = opts.auth === 'access_token' ? await this.getAccessToken() : session
      res = await this._raw(Object.assign({}, opts, { header: this._auth(opts.header, token) }))
    }
    return res
  }

  /**
   * Whether a 401 refused the token itself. miniauth says so with
   * invalid_session; its other 401s (invalid_sms_code, invalid_code) are
   * the caller's to handle, with the session intact: logging in again
   * would not help, and retrying would spend another try of the code. For
   * any other URL (the tenant's backend) a 401 is the token's.
   */
  _refused (url, res) {
    if (String(url).indexOf(this.api + '/') !== 0) return true
    const e = res.data && res.data.error
    return !(e && e.code) || e.code === 'invalid_session'
  }

  _auth (header, token) { return Object.assign({}, header, { Authorization: 'Bearer ' + token }) }

  _sessionOf (auth, token) {
    const s = this.session()
    return auth === 'access_token' ? (s ? s.session : '') : token
  }

  async _token (auth) {
    if (!this.isLoggedIn()) await this.login()
    if (auth === 'access_token') return this.getAccessToken()
    return this.session().session
  }

  /**
   * A JWT access token for the tenant's backend (verifiable with the
   * tenant's JWKS): the one the login gave while it has more than 30 s to
   * live, else a fresh one from POST /token (a tenant may issue none at
   * login: then the first call fetches it). Concurrent calls share one
   * POST /token.
   */
  getAccessToken () {
    const s = this.session()
    if (s && s.accessToken && s.accessTokenExpiresAt - 30000 > this.now()) return Promise.resolve(s.accessToken)
    if (this._tokenInFlight) return this._tokenInFlight
    const self = this
    const p = this._accessToken()
    this._tokenInFlight = p
    const done = function () { if (self._tokenInFlight === p) self._tokenInFlight = null }
    p.then(done, done)
    return p
  }

  /** accessToken() is getAccessToken(), its name before 0.3.0. */
  accessToken () { return this.getAccessToken() }

  async _accessToken () {
    if (!this.isLoggedIn()) await this.login()
    let s = this.session()
    if (s.accessToken && s.accessTokenExpiresAt - 30000 > this.now()) return s.accessToken
    let data
    try {
      data = await this._api('POST', '/token', null, s.session)
    } catch (e) {
      if (e.status !== 401) throw e
      await this._relogin(s.session)
      s = this.session()
      if (s.accessToken && s.accessTokenExpiresAt - 30000 > this.now()) return s.accessToken
      data = await this._api('POST', '/token', null, s.session)
    }
    s.accessToken = data.access_token
    s.accessTokenExpiresAt = this.now() + data.access_token_expires_in * 1000
    this._store(s)
    return s.accessToken
  }

  // --- the user

  /** Fetches the user (GET /me) and refreshes the stored copy. */
  async user () {
    const res = await this.request({ url: '/me' })
    if (res.statusCode !== 200) throw errorOf(res)
    this._setUser(res.data.user)
    return res.data.user
  }

  /** Changes nickname and/or avatar_url (PATCH /me). */
  async updateProfile (profile) {
    const res = await this.request({ url: '/me', method: 'PATCH', data: profile })
    if (res.statusCode !== 200) throw errorOf(res)
    this._setUser(res.data.user)
    return res.data.user
  }

  /**
   * Binds the phone number behind a getPhoneNumber button's code
   * (e.detail.code) to the user. Resolves with the user.
   */
  async bindPhone (code) {
    if (!code) throw new MiniauthError('invalid_request', 'no code: the user declined, or the base library is too old')
    const res = await this.request({ url: '/me/phone', method: 'POST', data: { code: code } })
    if (res.statusCode !== 200) throw errorOf(res)
    this._setUser(res.data.user)
    return res.data.user
  }

  /**
   * Uploads the avatar picked with <button open-type="chooseAvatar">
   * (e.detail.avatarUrl: a temporary local path, useless to anyone else)
   * to POST /me/avatar with wx.uploadFile, the session attached. On a 401
   * it logs in again once, shared with every other call failing together,
   * and retries. Resolves with the user, whose avatar_url is now
   * miniauth's own https URL of the image.
   */
  async uploadAvatar (tempFilePath) {
    if (!tempFilePath) throw new MiniauthError('invalid_request', 'no file: the user picked no avatar')
    let token = await this._token()
    let res = await this._upload(tempFilePath, token)
    if (res.statusCode === 401 && this._refused(this.api + '/me/avatar', res)) {
      token = await this._relogin(token)
      res = await this._upload(tempFilePath, token)
    }
    if (res.statusCode !== 200) throw errorOf(res)
    this._setUser(res.data.user)
    return res.data.user
  }

  /** One wx.uploadFile of the avatar; its data (a string) parsed as JSON. */
  _upload (filePath, token) {
    return call(this.wx, 'uploadFile', {
      url: this.api + '/me/avatar',
      filePath: filePath,
      name: 'file',
      header: { Authorization: 'Bearer ' + token }
    }).then(function (res) {
      let data = res.data
      if (typeof data === 'string') {
        try { data = JSON.parse(data) } catch (e) { /* not JSON: errorOf says so */ }
      }
      return { statusCode: res.statusCode, data: data, header: res.header || {} }
    })
  }

  // --- ways in

  /**
   * The ways the user can sign in (GET /me/identities): [{id, kind,
   * app_id?, last_used_at}], kind one of miniprogram, officialaccount,
   * mobileapp, website, phone.
   */
  async identities () {
    const res = await this.request({ url: '/me/identities' })
    if (res.statusCode !== 200) throw errorOf(res)
    return res.data.identities
  }

  /**
   * Links this mini-program's WeChat identity to the signed-in user (a
   * wx.login code to POST /me/identities), for a user who signed in by SMS:
   * later logins with wx.login, the 401 re-logins among them, then find
   * this account. Resolves with identities(); identity_in_use (409) when
   * the WeChat user already has another account of the tenant.
   */
  async linkWeChat () {
    const code = (await call(this.wx, 'login', {})).code
    const data = { kind: 'miniprogram', code: code }
    if (this.appid) data.appid = this.appid
    const res = await this.request({ url: '/me/identities', method: 'POST', data: data })
    if (res.statusCode !== 200) throw errorOf(res)
    return res.data.identities
  }

  /**
   * Unlinks one way in (DELETE /me/identities/{id}); the last one cannot
   * go (409 last_identity).
   */
  async unlinkIdentity (id) {
    if (!id) throw new MiniauthError('invalid_request', 'unlinkIdentity needs the id of one of identities()')
    const res = await this.request({ url: '/me/identities/' + encodeURIComponent(id), method: 'DELETE' })
    if (res.statusCode !== 204) throw errorOf(res)
  }

  /** getPhoneNumber(code) is bindPhone(code), for button handlers named after the event. */
  getPhoneNumber (code) { return this.bindPhone(code) }

  _setUser (user) {
    const s = this._stored()
    if (s) { s.user = user; this._store(s) }
  }

  /** Ends the session on miniauth (best effort) and forgets it here. */
  async logout () {
    const s = this._stored()
    this._forget()
    if (s) {
      await this._api('POST', '/logout', null, s.session).catch(function () {})
    }
    this._emit('logout')
  }
}

function createClient (options) { return new Client(options) }

// The platform APIs the client calls with {success, fail} callbacks.
const CALLBACK_APIS = ['request', 'login', 'checkSession']
const STORAGE_APIS = ['getStorageSync', 'setStorageSync', 'removeStorageSync']

/**
 * A wx-shaped object over uni (uni-app) or Taro, for createClient({ platform }).
 * Their request, login and checkSession take the same options as wx's but
 * may answer by promise instead of (Taro.request) or as well as (uni.request
 * without callbacks, Taro.login) the success/fail callbacks: the adapter
 * passes the callbacks and also follows a returned promise, settling once
 * whichever answers first. The storage APIs are the same as wx's.
 * @param {object} platform  uni, Taro, or wx itself
 */
function adapt (platform) {
  if (!platform || typeof platform.request !== 'function') {
    throw new MiniauthError('invalid_options', 'platform must be uni, Taro or wx: an object with request()')
  }
  const w = {}
  CALLBACK_APIS.forEach(function (name) {
    w[name] = function (args) {
      let settled = false
      const once = function (fn) {
        return function (v) {
          if (settled) return
          settled = true
          if (fn) fn(v)
        }
      }
      const success = once(args && args.success)
      const fail = once(args && args.fail)
      const out = platform[name](Object.assign({}, args, { success: success, fail: fail }))
      if (out && typeof out.then === 'function') out.then(success, fail)
      return out
    }
  })
  STORAGE_APIS.forEach(function (name) {
    w[name] = function () { return platform[name].apply(platform, arguments) }
  })
  return w
}

let defaultPlatform = null

/**
 * use(uni) or use(Taro): every client created afterwards without wx or
 * platform in its options uses that platform. Returns the module.
 */
function use (platform) {
  adapt(platform) // refuse a wrong object now rather than at the first login
  defaultPlatform = platform
  return module.exports
}

module.exports = { createClient: createClient, Client: Client, MiniauthError: MiniauthError, adapt: adapt, use: use }
