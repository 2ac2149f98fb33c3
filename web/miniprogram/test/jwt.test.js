'use strict'
// Independent verification: the access tokens miniauth signs (with Go's
// golang-jwt) are checked here with nothing but Node's own crypto, against
// the JWKS fetched over HTTP, as a tenant backend in Node would.
const test = require('node:test')
const assert = require('node:assert/strict')
const crypto = require('node:crypto')
const { createClient } = require('../miniauth')
const { fakeWx } = require('./fakewx')
const h = require('./harness')

const b64json = (s) => JSON.parse(Buffer.from(s, 'base64url').toString('utf8'))

/** verify returns the claims of a valid token, or throws saying why not. */
function verify (token, jwks, want) {
  const parts = String(token).split('.')
  if (parts.length !== 3) throw new Error('malformed')
  const header = b64json(parts[0])
  if (header.alg !== 'ES256' && header.alg !== 'EdDSA') throw new Error('algorithm not accepted: ' + header.alg)
  const jwk = jwks.keys.find((k) => k.kid === header.kid && k.alg === header.alg)
  if (!jwk) throw new Error('unknown kid')
  const key = crypto.createPublicKey({ key: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y }, format: 'jwk' })
  const data = Buffer.from(parts[0] + '.' + parts[1])
  const sig = Buffer.from(parts[2], 'base64url')
  const ok = header.alg === 'ES256'
    ? crypto.verify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, sig)
    : crypto.verify(null, data, key, sig)
  if (!ok) throw new Error('bad signature')
  const c = b64json(parts[1])
  const now = Math.floor(Date.now() / 1000)
  if (c.iss !== want.iss) throw new Error('wrong issuer')
  const aud = Array.isArray(c.aud) ? c.aud : [c.aud]
  if (!aud.includes(want.aud)) throw new Error('wrong audience')
  if (typeof c.exp !== 'number' || c.exp <= now - 30) throw new Error('expired')
  if (typeof c.iat !== 'number' || c.iat > now + 30) throw new Error('issued in the future')
  return c
}

async function jwksOf (tenant) {
  const res = await fetch(`${h.url}/t/${tenant}/.well-known/jwks.json`)
  assert.equal(res.status, 200)
  assert.match(res.headers.get('cache-control'), /max-age=\d+/)
  return res.json()
}

async function loginTo (tenant, appid, name) {
  const wx = fakeWx({ wxmock: h.wxmock, appid, user: h.user(name) })
  const auth = createClient({ baseURL: h.url, tenant, wx })
  const user = await auth.login()
  return { auth, user, token: await auth.accessToken() }
}

const issuer = (tenant) => `${h.url}/t/${tenant}`

test('access tokens verify with the JWKS and Node crypto alone', { skip: h.skip }, async () => {
  const { user, token } = await loginTo(h.tenant, h.appid, 'jwt')
  const jwks = await jwksOf(h.tenant)
  assert.ok(jwks.keys.length >= 1)
  for (const k of jwks.keys) assert.equal(k.d, undefined, 'no private part in the JWKS')
  const header = b64json(token.split('.')[0])
  assert.ok(header.kid)
  const c = verify(token, jwks, { iss: issuer(h.tenant), aud: h.tenant })
  assert.equal(c.sub, user.id)
  assert.ok(c.sid && c.jti && c.openid)
  assert.equal(c.appid, h.appid)
  assert.ok(c.exp - c.iat <= 15 * 60)
})

test('tampered, forged, expired, wrong-audience and other-tenant tokens fail', { skip: h.skip }, async () => {
  const { token } = await loginTo(h.tenant, h.appid, 'jwt-bad')
  const jwks = await jwksOf(h.tenant)
  const want = { iss: issuer(h.tenant), aud: h.tenant }
  const [head, body, sig] = token.split('.')

  const claims = b64json(body)
  const forgedBody = Buffer.from(JSON.stringify(Object.assign({}, claims, { sub: 'u_someoneelse' }))).toString('base64url')
  assert.throws(() => verify(`${head}.${forgedBody}.${sig}`, jwks, want), /bad signature/)
  const flipped = Buffer.from(sig, 'base64url')
  flipped[5] ^= 1
  assert.throws(() => verify(`${head}.${body}.${flipped.toString('base64url')}`, jwks, want), /bad signature/)
  const none = Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')
  assert.throws(() => verify(`${none}.${body}.`, jwks, want), /not accepted/)
  const hs = Buffer.from(JSON.stringify({ alg: 'HS256', kid: b64json(head).kid })).toString('base64url')
  const mac = crypto.createHmac('sha256', JSON.stringify(jwks.keys[0])).update(`${hs}.${body}`).digest('base64url')
  assert.throws(() => verify(`${hs}.${body}.${mac}`, jwks, want), /not accepted/)

  assert.throws(() => verify(token, jwks, { iss: want.iss, aud: 'someone-else' }), /wrong audience/)
  assert.throws(() => verify(token, jwks, { iss: 'https://evil.example/t/' + h.tenant, aud: h.tenant }), /wrong issuer/)

  if (h.expiredToken) {
    assert.throws(() => verify(h.expiredToken, jwks, want), /expired/)
  }
  if (h.otherTenant) {
    const other = await loginTo(h.otherTenant, h.otherAppid, 'jwt-other')
    assert.throws(() => verify(other.token, jwks, want), /unknown kid/, "another tenant's keys are not in this JWKS")
    const otherJWKS = await jwksOf(h.otherTenant)
    assert.throws(() => verify(other.token, otherJWKS, want), /wrong issuer/)
    assert.throws(() => verify(token, otherJWKS, { iss: issuer(h.otherTenant), aud: h.otherTenant }), /unknown kid/)
    verify(other.token, otherJWKS, { iss: issuer(h.otherTenant), aud: h.otherTenant })
  }
})

test('EdDSA tokens verify too', { skip: h.skip || (!h.eddsaToken && 'no EdDSA token from the harness') }, () => {
  const jwks = JSON.parse(h.eddsaJWKS)
  assert.equal(jwks.keys[0].kty, 'OKP')
  const want = { iss: h.eddsaIssuer, aud: h.eddsaAudience }
  const c = verify(h.eddsaToken, jwks, want)
  assert.ok(c.sub)
  const [head, body, sig] = h.eddsaToken.split('.')
  const forged = Buffer.from(JSON.stringify(Object.assign({}, c, { sub: 'u_x' }))).toString('base64url')
  assert.throws(() => verify(`${head}.${forged}.${sig}`, jwks, want), /bad signature/)
})

test('a tenant backend in Node trusts request({auth: "access_token"})', { skip: h.skip }, async () => {
  const http = require('node:http')
  const jwks = await jwksOf(h.tenant)
  let refuseNext = 1
  const seen = []
  // The tenant's backend: verifies the JWT with the JWKS, refuses the first
  // request as if its token had expired.
  const backend = http.createServer((req, res) => {
    const token = (req.headers.authorization || '').replace(/^Bearer /, '')
    seen.push(token)
    try {
      if (refuseNext-- > 0) throw new Error('pretend it expired')
      const c = verify(token, jwks, { iss: issuer(h.tenant), aud: h.tenant })
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ user: c.sub }))
    } catch (e) {
      res.writeHead(401, { 'content-type': 'application/json' })
      res.end('{"error":"unauthorized"}')
    }
  })
  await new Promise((resolve) => backend.listen(0, '127.0.0.1', resolve))
  try {
    const { auth, user } = await loginTo(h.tenant, h.appid, 'backend')
    const res = await auth.request({ url: `http://127.0.0.1:${backend.address().port}/orders`, auth: 'access_token' })
    assert.equal(res.statusCode, 200)
    assert.equal(res.data.user, user.id)
    assert.equal(seen.length, 2, 'one refusal, one retry after a re-login')
    assert.notEqual(seen[0], seen[1])
  } finally {
    backend.close()
  }
})

module.exports = { verify }
