'use strict'
// The sign-up flow of tenants whose registration policy is signup or
// existing_only: login() rejects with the ticket, register() finishes.
const test = require('node:test')
const assert = require('node:assert/strict')
const { createClient, MiniauthError } = require('../miniauth')
const { fakeWx } = require('./fakewx')
const h = require('./harness')

const skip = h.skip || (!h.signupTenant && 'no sign-up tenants in this harness')

function client (tenant, appid, user) {
  const wx = fakeWx({ wxmock: h.wxmock, appid, user })
  return { wx, auth: createClient({ baseURL: h.url, tenant, wx }) }
}

async function mock (path, body) {
  const res = await fetch(h.wxmock + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  const text = await res.text()
  return text ? JSON.parse(text) : null
}

test('signup: login() rejects with a ticket, register() signs up and stores the session', { skip }, async () => {
  const { auth } = client(h.signupTenant, h.signupAppid, h.user('signup'))
  const seen = []
  auth.on('login', (u) => seen.push(u))
  const err = await auth.login().then(() => assert.fail('login resolved for an unknown user'), (e) => e)
  assert.ok(err instanceof MiniauthError)
  assert.equal(err.code, 'signup_required')
  assert.match(err.signup_ticket, /^mat_/)
  assert.ok(err.expires_in > 0)
  assert.equal(auth.isLoggedIn(), false)
  // request() logs in first, so it rejects the same way until the sign-up.
  await assert.rejects(auth.request({ url: '/me' }), { code: 'signup_required' })

  const user = await auth.register({ signup_ticket: err.signup_ticket, nickname: '小明' })
  assert.match(user.id, /^u_/)
  assert.equal(user.nickname, '小明')
  assert.equal(user.is_new, true)
  assert.deepEqual(seen, [user])
  assert.equal(auth.isLoggedIn(), true)
  const me = await auth.request({ url: '/me' })
  assert.equal(me.statusCode, 200)
  assert.equal(me.data.user.id, user.id)
  // Signed up: the next login finds the user.
  assert.equal((await auth.login({ force: true })).id, user.id)
})

test('register() without a ticket, or with a spent one, rejects', { skip }, async () => {
  const { auth } = client(h.signupTenant, h.signupAppid, h.user('ticket'))
  await assert.rejects(auth.register({}), { code: 'invalid_request' })
  const err = await auth.login().catch((e) => e)
  await auth.register({ signup_ticket: err.signup_ticket })
  await assert.rejects(auth.register({ signup_ticket: err.signup_ticket }), (e) => e instanceof MiniauthError && e.status >= 400)
})

test('existing_only: a phone nobody imported is not_registered, and the session stays out', { skip }, async () => {
  const user = h.user('existing')
  const { auth } = client(h.existingOnlyTenant, h.existingOnlyAppid, user)
  const err = await auth.login().catch((e) => e)
  assert.equal(err.code, 'signup_required')
  await mock('/mock/user', { user, country_code: '86', phone: '139' + String(process.pid).padStart(8, '0').slice(-8) })
  const { code } = await mock('/mock/getPhoneNumber', { appid: h.existingOnlyAppid, user })
  await assert.rejects(auth.register({ signup_ticket: err.signup_ticket, phone_code: code }), { code: 'not_registered', status: 403 })
  assert.equal(auth.isLoggedIn(), false)
})
