'use strict'
// A local stand-in for the parts of miniauth's API the SDKs call where the
// server under test may not have them yet: SMS codes (/sms/send,
// /login/sms, /me/phone/sms), the WeChat app (/login/wechat-app) and the
// ways in (/me/identities), with /login, /me, /token, /logout and
// /register around them, as docs/api.md describes them. It is strict the
// way the server is (JSON only, E.164 phones of the allowed prefixes, codes
// single use with 5 tries, 1 send a minute per phone, the error envelope
// with Retry-After) and records every request, so that a test checks the
// shape of what an SDK sent as well as how it reads the answer. Faults are
// injected per route with fail().
//
// It plays the WeChat side too: POST /mock/wx.login and /mock/app.auth hand
// out codes, and GET /mock/sms?phone= is the SMS inbox, newest first.
const http = require('node:http')
const crypto = require('node:crypto')

const E164 = /^\+[1-9][0-9]{6,14}$/

// phoneOf normalises as the server does: a bare 11-digit mainland mobile
// number gets +86, and under +86 only mobile numbers pass; '' when invalid.
function phoneOf (raw) {
  if (typeof raw !== 'string') return ''
  let s = raw.replace(/[ \-().\t]/g, '')
  if (s.startsWith('00')) s = '+' + s.slice(2)
  else if (!s.startsWith('+') && /^1[0-9]{10}$/.test(s)) s = '+86' + s
  if (!E164.test(s)) return ''
  if (s.startsWith('+86') && !/^\+861[3-9][0-9]{9}$/.test(s)) return ''
  return s
}

function start (opts) {
  opts = opts || {}
  const state = {
    requests: [], // {method, path, headers, body}
    faults: new Map(), // "METHOD path" -> [{status, code, retryAfter}]
    sessions: new Map(), // token -> {user, tenant}
    users: new Map(), // id -> user
    byIdentity: new Map(), // "kind:subject" -> user id
    codes: new Map(), // phone -> {code, purpose, tries, expires}
    lastSend: new Map(), // phone -> ms
    inbox: [],
    tickets: new Map(),
    seq: 0
  }
  const prefixes = opts.prefixes || ['+86']
  const now = opts.now || Date.now

  const rand = (n) => crypto.randomBytes(n).toString('base64url')
  const send = (res, status, body, headers) => {
    res.writeHead(status, Object.assign({ 'content-type': 'application/json', 'x-request-id': 'req_' + rand(6) }, headers))
    res.end(body === undefined ? '' : JSON.stringify(body))
  }
  const fail = (res, status, code, message, headers) =>
    send(res, status, { error: { code, message, request_id: 'req_' + rand(6) } }, headers)

  function newUser (fields) {
    const u = Object.assign({ id: 'u_' + rand(9), nickname: '', avatar_url: '', phone_bound: false, created_at: new Date(now()).toISOString(), last_login_at: new Date(now()).toISOString(), ways: [] }, fields)
    state.users.set(u.id, u)
    return u
  }
  const publicUser = (u, isNew) => {
    const out = { id: u.id, nickname: u.nickname, avatar_url: u.avatar_url, phone_bound: u.phone_bound, created_at: u.created_at, last_login_at: u.last_login_at }
    if (isNew !== undefined) out.is_new = isNew
    return out
  }
  function link (u, kind, subject, appId) {
    state.byIdentity.set(kind + ':' + subject, u.id)
    // The phone's id is "phone", as the server's.
    u.ways.push({ id: kind === 'phone' ? 'phone' : 'id_' + rand(6), kind, subject, app_id: appId, last_used_at: new Date(now()).toISOString() })
  }
  const waysOf = (u) => u.ways.map((w) => Object.assign({ id: w.id, kind: w.kind, last_used_at: w.last_used_at }, w.app_id ? { app_id: w.app_id } : {}))
  function accessToken () {
    const enc = (o) => Buffer.from(JSON.stringify(o)).toString('base64url')
    const t = Math.floor(now() / 1000)
    return enc({ alg: 'ES256', typ: 'JWT' }) + '.' + enc({ iat: t, exp: t + 900, jti: rand(9) }) + '.' + rand(64)
  }
  // loginAnswer is /login's 200, or the sign-up ticket under policy signup.
  function loginAnswer (tenant, kind, subject, appId, fields) {
    const id = state.byIdentity.get(kind + ':' + subject)
    let u = id && state.users.get(id)
    const isNew = !u
    if (!u) {
      if (opts.policy === 'signup') {
        const ticket = 'mat_' + rand(24)
        state.tickets.set(ticket, { kind, subject, appId, fields })
        return { registered: false, signup_ticket: ticket, expires_in: 600 }
      }
      u = newUser(fields)
      link(u, kind, subject, appId)
    }
    return sessionFor(tenant, u, isNew)
  }
  function sessionFor (tenant, u, isNew) {
    const token = 'mas_' + rand(32)
    state.sessions.set(token, { user: u.id, tenant })
    const body = { session: token, token_type: 'Bearer', expires_in: 7 * 86400, user: publicUser(u, isNew) }
    if (opts.accessTokenOnLogin !== false) {
      body.access_token = accessToken()
      body.access_token_expires_in = 900
    }
    return body
  }
  function sessionOf (req, tenant) {
    const m = /^Bearer (\S+)$/.exec(req.headers.authorization || '')
    const s = m && state.sessions.get(m[1])
    return s && s.tenant === tenant ? { token: m[1], user: state.users.get(s.user) } : null
  }
  // takeCode checks an SMS code: wrong, expired and used alike are
  // invalid_sms_code, and the fifth wrong try ends the code.
  function takeCode (phone, code, purpose) {
    const c = state.codes.get(phone)
    if (!c || c.purpose !== purpose || c.expires <= now()) return false
    if (c.code !== code) {
      if (++c.tries >= 5) state.codes.delete(phone)
      return false
    }
    state.codes.delete(phone)
    return true
  }

  const routes = {
    'POST /mock/wx.login': (b) => [200, { code: 'wxc_' + b.user }],
    'POST /mock/app.auth': (b) => [200, { errCode: 0, code: 'app_' + b.user, state: b.state || '' }],
    'POST /t/:tenant/login': (b, req, t) => {
      if (typeof b.code !== 'string' || !b.code.startsWith('wxc_')) return [401, 'invalid_code', 'the login code is unknown, expired or used']
      return [200, loginAnswer(t, 'miniprogram', b.code.slice(4), b.appid || 'wx0123456789abcdef')]
    },
    'POST /t/:tenant/login/wechat-app': (b, req, t) => {
      if (typeof b.code !== 'string' || !b.code.startsWith('app_')) return [401, 'invalid_code', 'the login code is unknown, expired or used']
      return [200, loginAnswer(t, 'mobileapp', b.code.slice(4), b.appid || 'wxapp0123456789ab')]
    },
    'POST /t/:tenant/sms/send': (b) => {
      const phone = phoneOf(b.phone)
      if (!phone || !prefixes.some((p) => phone.startsWith(p))) {
        return [400, 'invalid_phone', 'the phone number is not one this service sends to (E.164, e.g. +8613800138000)']
      }
      b.phone = phone
      if (b.purpose !== 'login' && b.purpose !== 'bind') return [400, 'invalid_request', 'purpose must be login or bind']
      const last = state.lastSend.get(b.phone)
      if (last !== undefined && now() - last < 60e3) {
        return [429, 'rate_limited', 'a code was sent to this number less than a minute ago', { 'retry-after': String(Math.ceil((60e3 - (now() - last)) / 1000)) }]
      }
      const code = String(crypto.randomInt(0, 1e6)).padStart(6, '0')
      state.lastSend.set(b.phone, now())
      state.codes.set(b.phone, { code, purpose: b.purpose, tries: 0, expires: now() + 300e3 })
      state.inbox.unshift({ phone: b.phone, text: '验证码 ' + code + '，5 分钟内有效。', params: [code, '5'], template_id: '1000001', sent_at: new Date(now()).toISOString() })
      return [202, { expires_in: 300, resend_after: 60 }]
    },
    'POST /t/:tenant/login/sms': (b, req, t) => {
      if (!phoneOf(b.phone)) return [400, 'invalid_phone', 'not an E.164 phone number']
      b.phone = phoneOf(b.phone)
      if (typeof b.code !== 'string' || b.code === '') return [400, 'invalid_request', 'code (the one the SMS carried) is required']
      if (!/^[0-9]{4,8}$/.test(b.code)) return [401, 'invalid_sms_code', 'the code is wrong, expired or used'] // as a wrong one
      if (!takeCode(b.phone, b.code, 'login')) return [401, 'invalid_sms_code', 'the code is wrong, expired or used']
      return [200, loginAnswer(t, 'phone', b.phone, undefined, { phone_bound: true })]
    },
    'POST /t/:tenant/me/phone/sms': (b, req, t, s) => {
      if (!s) return [401, 'invalid_session', 'no valid session']
      if (!phoneOf(b.phone)) return [400, 'invalid_phone', 'not an E.164 phone number']
      b.phone = phoneOf(b.phone)
      if (typeof b.code !== 'string' || b.code === '') return [400, 'invalid_request', 'code (the one the SMS carried) is required']
      if (!/^[0-9]{4,8}$/.test(b.code)) return [401, 'invalid_sms_code', 'the code is wrong, expired or used'] // as a wrong one
      if (!takeCode(b.phone, b.code, 'bind')) return [401, 'invalid_sms_code', 'the code is wrong, expired or used']
      const owner = state.byIdentity.get('phone:' + b.phone)
      if (owner && owner !== s.user.id) return [409, 'phone_in_use', 'the phone number is bound to another user']
      if (!owner) link(s.user, 'phone', b.phone)
      s.user.phone_bound = true
      return [200, { user: publicUser(s.user) }]
    },
    'POST /t/:tenant/register': (b, req, t) => {
      const tk = state.tickets.get(b.signup_ticket)
      if (!tk) return [400, 'invalid_ticket', 'the sign-up ticket is unknown, expired or used']
      state.tickets.delete(b.signup_ticket)
      const u = newUser(Object.assign({}, tk.fields, b.nickname ? { nickname: b.nickname } : {}))
      link(u, tk.kind, tk.subject, tk.appId)
      return [200, sessionFor(t, u, true)]
    },
    'GET /t/:tenant/me': (b, req, t, s) => s ? [200, { user: publicUser(s.user) }] : [401, 'invalid_session', 'no valid session'],
    'POST /t/:tenant/token': (b, req, t, s) => s ? [200, { access_token: accessToken(), token_type: 'Bearer', access_token_expires_in: 900 }] : [401, 'invalid_session', 'no valid session'],
    'POST /t/:tenant/logout': (b, req, t, s) => {
      if (!s) return [401, 'invalid_session', 'no valid session']
      state.sessions.delete(s.token)
      return [204]
    },
    'GET /t/:tenant/me/identities': (b, req, t, s) => s ? [200, { identities: waysOf(s.user) }] : [401, 'invalid_session', 'no valid session'],
    // Links another way in, by a code made on the same person's phone.
    'POST /t/:tenant/me/identities': (b, req, t, s) => {
      if (!s) return [401, 'invalid_session', 'no valid session']
      const prefix = { miniprogram: 'wxc_', mobileapp: 'app_' }[b.kind]
      if (!prefix) return [400, 'invalid_request', 'kind must be mobileapp or miniprogram']
      if (typeof b.code !== 'string' || b.code === '') return [400, 'invalid_request', 'code is required']
      if (!b.code.startsWith(prefix)) return [401, 'invalid_code', 'the code is unknown, expired, used or another app\'s']
      const subject = b.code.slice(prefix.length)
      const owner = state.byIdentity.get(b.kind + ':' + subject)
      if (owner && owner !== s.user.id) return [409, 'identity_in_use', 'this way in belongs to another user']
      if (!owner) link(s.user, b.kind, subject, b.appid || (b.kind === 'mobileapp' ? 'wxapp0123456789ab' : 'wx0123456789abcdef'))
      return [200, { identities: waysOf(s.user) }]
    },
    'DELETE /t/:tenant/me/identities/:id': (b, req, t, s, id) => {
      if (!s) return [401, 'invalid_session', 'no valid session']
      const i = s.user.ways.findIndex((w) => w.id === id)
      if (i < 0) return [404, 'not_found', 'no such way in']
      if (s.user.ways.length === 1) return [409, 'last_identity', 'the last way in cannot be unlinked']
      state.byIdentity.delete(s.user.ways[i].kind + ':' + s.user.ways[i].subject)
      s.user.ways.splice(i, 1)
      return [204]
    }
  }

  function match (method, pathname) {
    for (const key of Object.keys(routes)) {
      const [m, pattern] = key.split(' ')
      if (m !== method) continue
      const re = new RegExp('^' + pattern.replace(/:[a-z]+/g, '([^/]+)') + '$')
      const hit = re.exec(pathname)
      if (hit) return { key, params: hit.slice(1).map(decodeURIComponent) }
    }
    return null
  }

  const server = http.createServer((req, res) => {
    const chunks = []
    req.on('data', (c) => chunks.push(c))
    req.on('end', () => {
      const u = new URL(req.url, 'http://x')
      const raw = Buffer.concat(chunks).toString('utf8')
      const entry = { method: req.method, path: u.pathname, headers: req.headers, body: raw ? safeJSON(raw) : undefined }
      if (u.pathname !== '/mock/sms') state.requests.push(entry)
      if (req.method === 'GET' && u.pathname === '/mock/sms') {
        return send(res, 200, { messages: state.inbox.filter((m) => m.phone === u.searchParams.get('phone')) })
      }
      const hit = match(req.method, u.pathname)
      if (!hit) return fail(res, 404, 'not_found', 'no such endpoint')
      const tenant = hit.params[0]
      if (hit.key.includes('/t/:tenant') && tenant !== (opts.tenant || 'acme')) return fail(res, 404, 'tenant_not_found', 'no such tenant')
      const queued = state.faults.get(hit.key)
      if (queued && queued.length) {
        const f = queued.shift()
        return fail(res, f.status, f.code, f.message || f.code, f.retryAfter !== undefined ? { 'retry-after': String(f.retryAfter) } : {})
      }
      if (raw && !/^application\/json\b/.test(req.headers['content-type'] || '')) return fail(res, 400, 'invalid_request', 'the body must be JSON')
      if (raw && entry.body === undefined) return fail(res, 400, 'invalid_request', 'broken JSON')
      const s = hit.key.includes('/t/:tenant') ? sessionOf(req, tenant) : null
      const [status, a, b, c] = routes[hit.key](Object.assign({}, entry.body), req, tenant, s, hit.params[1])
      if (typeof a === 'string') return fail(res, status, a, b, c)
      send(res, status, a)
    })
  })

  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const url = 'http://127.0.0.1:' + server.address().port
      resolve({
        url,
        state,
        /** fail(route, {status, code, retryAfter?}, times=1): the next calls of route answer that error. */
        fail (route, f, times) {
          const list = state.faults.get(route) || []
          for (let i = 0; i < (times || 1); i++) list.push(f)
          state.faults.set(route, list)
        },
        /** revoke ends a session as an admin would. */
        revoke (token) { state.sessions.delete(token) },
        /** The requests to path (and method) so far. */
        calls (method, path) { return state.requests.filter((r) => r.method === method && r.path === path) },
        /** The last code sent to phone, read from the inbox as a person reads the SMS. */
        async lastCode (phone) {
          const res = await fetch(url + '/mock/sms?phone=' + encodeURIComponent(phone))
          const m = (await res.json()).messages[0]
          return m ? m.params[0] : ''
        },
        close () {
          const done = new Promise((resolve) => server.close(resolve))
          server.closeAllConnections()
          return done
        }
      })
    })
  })
}

function safeJSON (s) {
  try { return JSON.parse(s) } catch (e) { return undefined }
}

module.exports = { start }
