'use strict'
// What the Go harness (api/backend_sdk_test.go) tells the tests: where a
// running miniauth and WeChat simulator are, and tokens it minted.
const env = process.env

const harness = {
  url: env.MINIAUTH_URL,
  wxmock: env.WXMOCK_URL,
  tenant: env.MINIAUTH_TENANT || 'acme',
  appid: env.MINIAUTH_APPID,
  otherTenant: env.MINIAUTH_OTHER_TENANT,
  otherAppid: env.MINIAUTH_OTHER_APPID,
  // tenants whose registration policy is signup and existing_only
  signupTenant: env.MINIAUTH_SIGNUP_TENANT,
  signupAppid: env.MINIAUTH_SIGNUP_APPID,
  existingOnlyTenant: env.MINIAUTH_EXISTING_ONLY_TENANT,
  existingOnlyAppid: env.MINIAUTH_EXISTING_ONLY_APPID,
  expiredToken: env.MINIAUTH_TEST_EXPIRED_TOKEN,
  eddsaToken: env.MINIAUTH_TEST_EDDSA_TOKEN,
  eddsaJWKS: env.MINIAUTH_TEST_EDDSA_JWKS,
  eddsaIssuer: env.MINIAUTH_TEST_EDDSA_ISSUER,
  eddsaAudience: env.MINIAUTH_TEST_EDDSA_AUDIENCE
}

// skip is the reason to skip when no harness runs (node --test alone).
harness.skip = harness.url && harness.wxmock ? false : 'no miniauth to talk to: run through `go test ./api -run TestMiniProgramSDK` or `make test`'

let seq = 0
// user is a fresh simulated WeChat user name.
harness.user = (name) => `${name}-${process.pid}-${++seq}`

module.exports = harness
