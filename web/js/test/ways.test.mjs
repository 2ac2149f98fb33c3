// The WeChat app's way in and linking against the real miniauth: the
// tenant's mini-program, mobile app and website share one open platform in
// the simulator, so one WeChat user is one account across them (unionid).
import test from 'node:test'
import assert from 'node:assert/strict'
import { createClient, memoryStorage } from '../miniauth.js'
import { h, loginAnswer, sendAuth, wxLogin } from './harness.mjs'

const skip = h.skip || (!h.mobileAppid && 'no mobile app in this harness')
const client = () => createClient({ baseURL: h.url, tenant: h.tenant, storage: memoryStorage() })

test('loginWithWeChatApp: a SendAuth code signs in; the same WeChat user in the mini-program is the same account', { skip }, async () => {
  const name = h.user('app')
  const auth = client()
  const user = await auth.loginWithWeChatApp(await sendAuth(name))
  assert.match(user.id, /^u_/)
  assert.equal(user.is_new, true)
  assert.equal((await auth.me()).id, user.id)
  const ways = await auth.identities()
  assert.deepEqual(ways.map((w) => [w.kind, w.app_id]), [['mobileapp', h.mobileAppid]])

  // The mini-program finds the account by the unionid.
  assert.equal((await loginAnswer(name)).user.id, user.id)
  // And the app again, with its appid named: the same account, not new.
  const again = await client().loginWithWeChatApp(await sendAuth(name), h.mobileAppid)
  assert.equal(again.id, user.id)
  assert.equal(again.is_new, false)
})

test('loginWithWeChatApp errors: a used code is invalid_code; an appid not the tenant\'s is invalid_request', { skip }, async () => {
  const auth = client()
  const code = await sendAuth(h.user('used'))
  await auth.loginWithWeChatApp(code)
  await assert.rejects(client().loginWithWeChatApp(code), { code: 'invalid_code', status: 401 })
  await assert.rejects(client().loginWithWeChatApp(await sendAuth(h.user('other-app')), 'wx00000000000000ff'), { code: 'invalid_request', status: 400 })
})

test('linkIdentity, identities, unlinkIdentity: a way in of another user is identity_in_use; never the last one', { skip }, async () => {
  // Two different WeChat users: one signed in with the app, one with the mini-program.
  const appUser = client()
  const me = await appUser.loginWithWeChatApp(await sendAuth(h.user('linker')))
  const otherName = h.user('someone-else')
  const other = await loginAnswer(otherName)
  await assert.rejects(appUser.linkIdentity({ kind: 'miniprogram', code: await wxLogin(otherName) }), { code: 'identity_in_use', status: 409 })
  assert.equal((await appUser.identities()).length, 1, 'nothing changed')
  assert.notEqual(other.user.id, me.id)

  // The app user's own mini-program identity (same person, same unionid) links.
  const linkerName = h.user('linker2')
  const second = client()
  const user2 = await second.loginWithWeChatApp(await sendAuth(linkerName))
  const ways = await second.linkIdentity({ kind: 'miniprogram', code: await wxLogin(linkerName) })
  assert.deepEqual(ways.map((w) => w.kind).sort(), ['miniprogram', 'mobileapp'])
  for (const w of ways) assert.match(w.id, /\S/)
  const mp = ways.find((w) => w.kind === 'miniprogram')
  assert.equal(mp.app_id, h.appid)
  await second.unlinkIdentity(mp.id)
  const left = await second.identities()
  assert.deepEqual(left.map((w) => w.kind), ['mobileapp'])
  await assert.rejects(second.unlinkIdentity(left[0].id), { code: 'last_identity', status: 409 })
  await assert.rejects(second.unlinkIdentity('no-such-way'), { code: 'not_found', status: 404 })
  assert.equal((await second.me()).id, user2.id)
})
