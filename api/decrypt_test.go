package api_test

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"encoding/json"
	"testing"

	"miniauth/tenants/wechat/wechattest"
)

// openData is what wx.getUserInfo gives user now, as a request body.
func (e *env) openData(user string, signed bool) string {
	e.t.Helper()
	d, err := e.wx.UserInfo(demoAppID, user)
	if err != nil {
		e.t.Fatal(err)
	}
	remember(d.EncryptedData, "encrypted data")
	if signed {
		b, _ := json.Marshal(map[string]string{"raw_data": d.RawData, "signature": d.Signature})
		return string(b)
	}
	b, _ := json.Marshal(map[string]string{"encrypted_data": d.EncryptedData, "iv": d.IV})
	return string(b)
}

// TestDecrypt: /me/decrypt answers what the data says and changes nothing
// that identifies the user (wechat-api.md §5.2: AES-CBC, no integrity).
func TestDecrypt(t *testing.T) {
	e := newEnv(t)
	alice := e.login("alice")
	if r := e.do("PATCH", "/t/acme/me", `{"nickname":"爱丽丝","avatar_url":"https://cdn.acme.example/alice.png"}`, bearer(alice)...); r.Status != 200 {
		t.Fatalf("profile: %d %s", r.Status, r.Raw)
	}
	key := e.wx.SessionKey(demoAppID, "alice")
	sealed := func(plain string) string {
		d := wechattest.Encrypt(key, []byte(plain))
		b, _ := json.Marshal(map[string]string{"encrypted_data": d.EncryptedData, "iv": d.IV})
		return string(b)
	}
	good := e.openData("alice", false)
	var flipped map[string]string
	_ = json.Unmarshal([]byte(good), &flipped)
	ct, _ := base64.StdEncoding.DecodeString(flipped["encrypted_data"])
	ct[len(ct)-1] ^= 1
	flipped["encrypted_data"] = base64.StdEncoding.EncodeToString(ct)
	tampered, _ := json.Marshal(flipped)
	shortIV := `{"encrypted_data":"` + flipped["encrypted_data"] + `","iv":"` + base64.StdEncoding.EncodeToString(make([]byte, 8)) + `"}`
	wm := `"watermark":{"appid":"` + demoAppID + `","timestamp":1}`
	profileUnchanged := func(t *testing.T, r response) {
		t.Helper()
		u := r.obj("user")
		if u["nickname"] != "爱丽丝" || u["avatar_url"] != "https://cdn.acme.example/alice.png" || r.Body["session"] != nil {
			t.Errorf("the data changed the profile or the session: %s", r.Raw)
		}
	}

	// Every row changes no user, identity or session (the runner's delta).
	rows := []scenario{
		{name: "user info is anonymous now (§5.2) and overwrites nothing", body: good, status: 200, check: func(t *testing.T, r response) {
			data := r.obj("data")
			if data["openId"] != e.wx.OpenID(demoAppID, "alice") || data["nickName"] != "微信用户" || data["is_demote"] != true {
				t.Errorf("decrypt: %s", r.Raw)
			}
			profileUnchanged(t, r)
		}},
		{name: "raw data with signature (§5.1), anonymous too", body: e.openData("alice", true), status: 200, check: func(t *testing.T, r response) {
			if r.obj("data")["nickName"] != "微信用户" {
				t.Errorf("raw data: %s", r.Raw)
			}
			profileUnchanged(t, r)
		}},
		{name: "real-looking profile data does not overwrite", body: sealed(`{"openId":"` + e.wx.OpenID(demoAppID, "alice") +
			`","nickName":"mallory","avatarUrl":"https://evil.example/m.png",` + wm + `}`), status: 200, check: profileUnchanged},
		{name: "old-style phone number is answered, not bound", body: func() string {
			e.wx.SetPerson("alice", "86", "13512345678", "", "")
			d, _ := e.wx.PhoneData(demoAppID, "alice")
			return `{"encrypted_data":"` + d.EncryptedData + `","iv":"` + d.IV + `"}`
		}(), status: 200, check: func(t *testing.T, r response) {
			if r.obj("data")["purePhoneNumber"] != "13512345678" || r.obj("user")["phone_bound"] != false ||
				e.count("SELECT COUNT(*) FROM users WHERE phone IS NOT NULL") != 0 {
				t.Errorf("phone: %s", r.Raw)
			}
		}},
		{name: "a unionId in the data is not recorded", body: sealed(`{"openId":"` + e.wx.OpenID(demoAppID, "alice") +
			`","unionId":"oForgedUnionID000000000000001",` + wm + `}`), status: 200, check: func(t *testing.T, r response) {
			if e.count("SELECT COUNT(*) FROM users WHERE unionid IS NOT NULL") != 0 || e.count("SELECT COUNT(*) FROM identities WHERE unionid IS NOT NULL") != 0 {
				t.Error("a unionId from open data was stored")
			}
		}},
		{name: "openId of another user", body: sealed(`{"openId":"` + e.wx.OpenID(demoAppID, "bob") + `",` + wm + `}`), status: 400, code: "openid_mismatch"},
		{name: "openId that is not a string", body: sealed(`{"openId":7,` + wm + `}`), status: 400, code: "openid_mismatch"},
		{name: "neither pair", body: `{}`, status: 400, code: "invalid_request"},
		{name: "both pairs", body: `{"encrypted_data":"a","iv":"b","raw_data":"c","signature":"d"}`, status: 400, code: "invalid_request"},
		{name: "IV of 8 bytes", body: shortIV, status: 400, code: "invalid_request"},
		{name: "not Base64", body: `{"encrypted_data":"%%%","iv":"%%%"}`, status: 400, code: "invalid_request"},
		{name: "tampered (bad padding)", body: string(tampered), status: 400, code: "invalid_encrypted_data"},
		{name: "watermark of another app", body: sealed(`{"openId":"x","watermark":{"appid":"` + otherAppID + `","timestamp":1}}`), status: 400, code: "invalid_encrypted_data"},
		{name: "no watermark", body: sealed(`{"openId":"x"}`), status: 400, code: "invalid_encrypted_data"},
		{name: "forged signature", body: `{"raw_data":"{\"nickName\":\"mallory\"}","signature":"` + "0000000000000000000000000000000000000000" + `"}`, status: 400, code: "invalid_signature"},
		// What the phone has after wx.login again: data encrypted with the
		// key WeChat replaced the session's with.
		{name: "session_key replaced by a newer login (§4.2)", bodyFn: func(e *env) string {
			e.login("alice")
			return e.openData("alice", false)
		}, status: 409, code: "session_key_stale"},
	}
	runScenarios(t, e, scenario{path: "/t/acme/me/decrypt", header: bearer(alice)}, rows)
}

// TestDecryptFillsOnlyAnEmptyProfile: open data may fill a profile the user
// left empty, never with WeChat's anonymous placeholders (wechat-open-api
// §5.3), and never overwrite one.
func TestDecryptFillsOnlyAnEmptyProfile(t *testing.T) {
	e := newEnv(t)
	carol := e.login("carol")
	key := e.wx.SessionKey(demoAppID, "carol")
	open := e.wx.OpenID(demoAppID, "carol")
	decrypt := func(profile string) map[string]any {
		t.Helper()
		d := wechattest.Encrypt(key, []byte(`{"openId":"`+open+`",`+profile+`"watermark":{"appid":"`+demoAppID+`","timestamp":1}}`))
		r := e.do("POST", "/t/acme/me/decrypt", `{"encrypted_data":"`+d.EncryptedData+`","iv":"`+d.IV+`"}`, bearer(carol)...)
		if r.Status != 200 {
			t.Fatalf("decrypt: %d %s", r.Status, r.Raw)
		}
		return r.obj("user")
	}
	if u := decrypt(`"nickName":"微信用户","avatarUrl":"` + wechattest.AnonymousAvatarURL + `",`); u["nickname"] != "" || u["avatar_url"] != "" {
		t.Fatalf("filled with the anonymous placeholders: %v", u)
	}
	if u := decrypt(`"nickName":"真名","avatarUrl":"https://cdn.example/c.png","is_demote":true,`); u["nickname"] != "" {
		t.Fatalf("filled from demoted data: %v", u)
	}
	if u := decrypt(`"nickName":"卡萝","avatarUrl":"http://insecure.example/c.png",`); u["nickname"] != "卡萝" || u["avatar_url"] != "" {
		t.Fatalf("empty profile, real nickname, http avatar: %v", u)
	}
	if u := decrypt(`"nickName":"别人","avatarUrl":"https://cdn.example/c.png",`); u["nickname"] != "卡萝" || u["avatar_url"] != "https://cdn.example/c.png" {
		t.Fatalf("a set nickname was overwritten, or the empty avatar not filled: %v", u)
	}
}

func TestSessionKeyCheck(t *testing.T) {
	e := newEnv(t)
	alice := e.login("alice")
	valid := func() any {
		r := e.do("GET", "/t/acme/me/session-key", "", bearer(alice)...)
		if r.Status != 200 {
			t.Fatalf("session-key: %d %s", r.Status, r.Raw)
		}
		return r.Body["valid"]
	}
	if v := valid(); v != true {
		t.Fatalf("fresh session: valid = %v", v)
	}
	e.wx.ExpireSessionKey(demoAppID, "alice")
	if v := valid(); v != false {
		t.Fatalf("expired key: valid = %v", v)
	}
	e.wx.SetFaults(wechattest.Faults{SystemErrors: 2})
	if r := e.do("GET", "/t/acme/me/session-key", "", bearer(alice)...); r.Status != 502 || r.errCode() != "wechat_unavailable" {
		t.Fatalf("WeChat busy: %d %s", r.Status, r.Raw)
	}
	e.wx.SetFaults(wechattest.Faults{})
	if r := e.do("GET", "/t/acme/me/session-key", ""); r.Status != 401 {
		t.Fatalf("no session: %d", r.Status)
	}
}

// TestDecryptNeverMerges: a unionId in decrypted data, even a genuine one,
// never binds or merges; unionid comes from code2session (wechat-api.md §1,
// §7) and web OAuth only.
func TestDecryptNeverMerges(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.wx.AddApp(otherAppID, "other-app-secret-0123456789", "acme-open")
	if err := e.reg.AddApp(ctx, e.tenant.ID, tenantsNewApp(otherAppID)); err != nil {
		t.Fatal(err)
	}
	e.reg.Invalidate(ctx, "acme")
	code, _ := e.wx.IssueCode(otherAppID, "kai")
	e.loginBody(`{"code":"` + code + `","appid":"` + otherAppID + `"}`)
	newer := e.login("kai")                         // first app, not bound: a second user
	e.wx.AddApp(demoAppID, demoSecret, "acme-open") // now bound: user info carries the unionId
	before := e.state()
	r := e.do("POST", "/t/acme/me/decrypt", e.openData("kai", false), bearer(newer)...)
	if r.Status != 200 || r.Body["session"] != nil || r.obj("data")["unionId"] == nil {
		t.Fatalf("decrypt: %d %s", r.Status, r.Raw)
	}
	if after := e.state(); after != before || e.count("SELECT COUNT(*) FROM user_merges") != 0 ||
		e.count("SELECT COUNT(*) FROM audit_log WHERE action = 'user.merged'") != 0 {
		t.Fatalf("decrypt merged: %+v → %+v", before, after)
	}
	if me := e.do("GET", "/t/acme/me", "", bearer(newer)...); me.Status != 200 {
		t.Fatalf("the session ended: %d", me.Status)
	}
}

// TestDecryptForgedUnionID is the attack: CBC lets whoever holds the
// ciphertext rewrite its first 16 plaintext bytes by flipping IV bits
// (wechat-api.md §5.2 has no MAC). The attacker turns the opening
// `{"openId":"oXXXX` of its own user info into `{"unionId":"EVIL`, making
// the data claim the victim's unionid; decrypting it must not merge the
// attacker into the victim nor hand out the victim's session.
func TestDecryptForgedUnionID(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	victim := e.login("victim")
	attacker := e.login("attacker")
	d, err := e.wx.UserInfo(demoAppID, "attacker")
	if err != nil {
		t.Fatal(err)
	}
	key, _ := base64.StdEncoding.DecodeString(e.wx.SessionKey(demoAppID, "attacker"))
	ct, _ := base64.StdEncoding.DecodeString(d.EncryptedData)
	iv, _ := base64.StdEncoding.DecodeString(d.IV)
	block, _ := aes.NewCipher(key)
	first := make([]byte, aes.BlockSize)
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(first, ct[:aes.BlockSize])
	openid := e.wx.OpenID(demoAppID, "attacker")
	if string(first) != `{"openId":"`+openid[:5] {
		t.Fatalf("the simulator's user info opens with %q", first)
	}
	forged := []byte(`{"unionId":"EVIL`)
	for i := range iv {
		iv[i] ^= first[i] ^ forged[i]
	}
	forgedUnionID := "EVIL" + openid[5:]
	// The victim holds that unionid (in real life: learned from another app).
	var victimID int64
	if err := e.db.Get(&victimID, "SELECT user_id FROM identities WHERE openid = ?", e.wx.OpenID(demoAppID, "victim")); err != nil {
		t.Fatal(err)
	}
	e.db.MustExec("UPDATE users SET unionid = ? WHERE id = ?", forgedUnionID, victimID)
	e.users.Invalidate(ctx, e.tenant.ID, victimID)

	body, _ := json.Marshal(map[string]string{"encrypted_data": d.EncryptedData, "iv": base64.StdEncoding.EncodeToString(iv)})
	before := e.state()
	r := e.do("POST", "/t/acme/me/decrypt", string(body), bearer(attacker)...)
	if r.Status != 200 || r.obj("data")["unionId"] != forgedUnionID {
		t.Fatalf("the forgery did not decrypt as built: %d %s", r.Status, r.Raw)
	}
	if r.Body["session"] != nil {
		t.Fatalf("the attacker got a session: %s", r.Raw)
	}
	if after := e.state(); after != before || e.count("SELECT COUNT(*) FROM user_merges") != 0 ||
		e.count("SELECT COUNT(*) FROM users WHERE unionid IS NOT NULL") != 1 {
		t.Fatalf("the forged unionId changed something: %+v → %+v", before, after)
	}
	me := e.do("GET", "/t/acme/me", "", bearer(attacker)...)
	vm := e.do("GET", "/t/acme/me", "", bearer(victim)...)
	if me.Status != 200 || vm.Status != 200 || me.obj("user")["id"] == vm.obj("user")["id"] {
		t.Fatalf("attacker %d %s, victim %d %s", me.Status, me.Raw, vm.Status, vm.Raw)
	}
}
