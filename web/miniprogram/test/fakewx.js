'use strict'
// A simulated wx for the SDK tests: login asks the WeChat simulator for a
// code (POST /mock/wx.login), request and uploadFile make real HTTP calls,
// storage is a Map that outlives a "restart" of the app when passed to the
// next fakeWx.
const fs = require('node:fs')
const path = require('node:path')

function fakeWx (opts) {
  const storage = opts.storage || new Map()
  const counts = { login: 0, request: 0, checkSession: 0, uploadFile: 0 }
  const w = {
    counts,
    storage,
    checkSessionOK: true,
    login ({ success, fail }) {
      counts.login++
      fetch(opts.wxmock + '/mock/wx.login', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ appid: opts.appid, user: opts.user })
      }).then(async (res) => {
        const body = await res.json()
        if (res.status !== 200 || !body.code) return fail({ errMsg: 'login:fail ' + JSON.stringify(body) })
        success({ code: body.code, errMsg: 'login:ok' })
      }, (err) => fail({ errMsg: 'login:fail ' + err.message }))
    },
    checkSession ({ success, fail }) {
      counts.checkSession++
      setImmediate(() => (w.checkSessionOK ? success({ errMsg: 'checkSession:ok' }) : fail({ errMsg: 'checkSession:fail' })))
    },
    request ({ url, method, data, header, success, fail }) {
      counts.request++
      const init = { method: method || 'GET', headers: header || {} }
      if (data !== undefined && data !== null && init.method !== 'GET') init.body = JSON.stringify(data)
      fetch(url, init).then(async (res) => {
        const text = await res.text()
        let body = text
        try { body = JSON.parse(text) } catch (e) {}
        success({ statusCode: res.status, data: body, header: Object.fromEntries(res.headers), errMsg: 'request:ok' })
      }, (err) => fail({ errMsg: 'request:fail ' + err.message }))
    },
    // uploadFile sends a local file as multipart/form-data, as WeChat does;
    // data is the answer's text, never parsed.
    uploadFile ({ url, filePath, name, header, formData, success, fail }) {
      counts.uploadFile++
      let bytes
      try { bytes = fs.readFileSync(filePath) } catch (err) { return setImmediate(() => fail({ errMsg: 'uploadFile:fail ' + err.message })) }
      const form = new FormData()
      for (const [k, v] of Object.entries(formData || {})) form.append(k, v)
      form.append(name, new Blob([bytes]), path.basename(filePath))
      fetch(url, { method: 'POST', headers: header || {}, body: form }).then(async (res) => {
        success({ statusCode: res.status, data: await res.text(), errMsg: 'uploadFile:ok' })
      }, (err) => fail({ errMsg: 'uploadFile:fail ' + err.message }))
    },
    // Storage holds copies, as the real one (JSON) does.
    setStorageSync (k, v) { storage.set(k, JSON.stringify(v)) },
    getStorageSync (k) { return storage.has(k) ? JSON.parse(storage.get(k)) : '' },
    removeStorageSync (k) { storage.delete(k) }
  }
  return w
}

module.exports = { fakeWx }
