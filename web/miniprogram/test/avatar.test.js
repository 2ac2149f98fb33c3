'use strict'
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { createClient } = require('../miniauth')
const { fakeWx } = require('./fakewx')
const h = require('./harness')

// What <button open-type="chooseAvatar"> hands the page: a temporary local
// file. A 1×1 PNG.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64')

function tempFile (name, bytes) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'miniauth-avatar-'))
  const file = path.join(dir, name)
  fs.writeFileSync(file, bytes)
  test.after(() => fs.rmSync(dir, { recursive: true, force: true }))
  return file
}

function client (user) {
  const wx = fakeWx({ wxmock: h.wxmock, appid: h.appid, user })
  return { wx, auth: createClient({ baseURL: h.url, tenant: h.tenant, wx }) }
}

test('uploadAvatar stores the chosen file and answers miniauth\'s own URL', { skip: h.skip }, async () => {
  const { wx, auth } = client(h.user('avatar'))
  await auth.login()
  const user = await auth.uploadAvatar(tempFile('tmp_chosen.png', PNG))
  assert.equal(wx.counts.uploadFile, 1)
  assert.ok(user.avatar_url.startsWith(h.url + '/t/' + h.tenant + '/avatars/av_'), user.avatar_url)
  assert.equal(auth.currentUser().avatar_url, user.avatar_url)
  const res = await fetch(user.avatar_url)
  assert.equal(res.status, 200)
  assert.equal(res.headers.get('content-type'), 'image/png')
  assert.deepEqual(Buffer.from(await res.arrayBuffer()), PNG)
})

test('uploadAvatar after the session died logs in once for every call failing together', { skip: h.skip }, async () => {
  const { wx, auth } = client(h.user('avatar-401'))
  await auth.login()
  const old = auth.session().session
  const out = await fetch(auth.api + '/logout', { method: 'POST', headers: { authorization: 'Bearer ' + old } })
  assert.equal(out.status, 204)
  const file = tempFile('tmp_again.png', PNG)
  const [a, me, b] = await Promise.all([auth.uploadAvatar(file), auth.request({ url: '/me' }), auth.uploadAvatar(file)])
  assert.equal(me.statusCode, 200)
  assert.match(a.avatar_url, /\/avatars\/av_/)
  assert.match(b.avatar_url, /\/avatars\/av_/)
  assert.equal(wx.counts.login, 2, 'one wx.login for the first login, one for the re-login')
  assert.equal(wx.counts.uploadFile, 4, 'each upload tried twice')
  assert.notEqual(auth.session().session, old)
})

test('uploadAvatar refuses what is not an image, with the API\'s code', { skip: h.skip }, async () => {
  const { auth } = client(h.user('avatar-bad'))
  await auth.login()
  await assert.rejects(auth.uploadAvatar(tempFile('tmp_fake.png', Buffer.from('<html>not an image</html>'))),
    { name: 'MiniauthError', code: 'unsupported_image', status: 400 })
  await assert.rejects(auth.uploadAvatar(''), { code: 'invalid_request' })
  assert.equal(auth.currentUser().avatar_url, '')
})
