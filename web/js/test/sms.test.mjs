// SMS codes against the real miniauth, which sends them through the SMS
// simulator (Tencent Cloud's SendSms, signature verified); the test reads
// the code from the simulator's inbox as a person reads the message.
import test from 'node:test'
import assert from 'node:assert/strict'
import { createClient, memoryStorage, MiniauthError } from '../miniauth.js'
import { h, inboxCode, loginAnswer } from './harness.mjs'

const skip = h.skip || (!h.smsmock && 'no SMS simulator in this harness')
const client = () => createClient({ baseURL: h.url, tenant: h.smsTenant, storage: memoryStorage() })

test('sendSmsCode, then loginWithSms with the code the SMS carried: a new account with its phone', { skip }, async () => {
  const auth = client()
  const phone = h.phone()
  const sent = await auth.sendSmsCode(phone)
  assert.ok(sent.expires_in > 0 && sent.resend_after > 0, JSON.stringify(sent))
  const user = await auth.loginWithSms(phone, await inboxCode(phone))
  assert.match(user.id, /^u_/)
  assert.equal(user.is_new, true)
  assert.equal(user.phone_bound, true)
  assert.equal((await auth.me()).id, user.id)
  assert.deepEqual((await auth.identities()).map((w) => w.kind), ['phone'])

  // Another code within the minute: 429 with Retry-After.
  const limited = await auth.sendSmsCode(phone).then(() => assert.fail('a second code within a minute'), (e) => e)
  assert.ok(limited instanceof MiniauthError)
  assert.equal(limited.code, 'rate_limited')
  assert.equal(limited.status, 429)
  assert.ok(limited.retryAfter >= 1 && limited.retryAfter <= 60, 'retryAfter ' + limited.retryAfter)
})

test('invalid_sms_code for a wrong code and for a used one; invalid_phone for a number that is not a mobile or not served', { skip }, async () => {
  const auth = client()
  const phone = h.phone()
  await auth.sendSmsCode(phone)
  const code = await inboxCode(phone)
  const wrong = code === '000000' ? '111111' : '000000'
  await assert.rejects(auth.loginWithSms(phone, wrong), { code: 'invalid_sms_code', status: 401 })
  await auth.loginWithSms(phone, code)
  await assert.rejects(client().loginWithSms(phone, code), { code: 'invalid_sms_code', status: 401 }, 'single use')
  await assert.rejects(auth.sendSmsCode('+8612345678901'), { code: 'invalid_phone', status: 400 }, 'under +86 only mobile numbers')
  await assert.rejects(auth.sendSmsCode('+12025550123'), { code: 'invalid_phone', status: 400 }, '+1 is not among the default prefixes')
})

test('bindPhoneWithSms binds the number to a mini-program user; a wrong code keeps the session', { skip }, async () => {
  let renewals = 0
  const auth = createClient({ baseURL: h.url, tenant: h.smsTenant, storage: memoryStorage(), renew: async () => { renewals++ } })
  auth.useSession(await loginAnswer(h.user('binder'), h.smsTenant, h.smsAppid))
  assert.equal(auth.currentUser().phone_bound, false)
  const phone = h.phone()
  await auth.sendSmsCode(phone, 'bind')
  const code = await inboxCode(phone)
  await assert.rejects(auth.bindPhoneWithSms(phone, code === '000000' ? '111111' : '000000'), { code: 'invalid_sms_code', status: 401 })
  assert.equal(renewals, 0, 'a wrong code is not a dead session')
  const user = await auth.bindPhoneWithSms(phone, code)
  assert.equal(user.phone_bound, true)
  assert.equal(auth.currentUser().phone_bound, true)
  assert.deepEqual((await auth.identities()).map((w) => w.kind).sort(), ['miniprogram', 'phone'])
})
