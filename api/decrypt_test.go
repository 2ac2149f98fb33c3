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
	// The first gives alice the profile the others must leave alone.
	rows := []scenario{
		{name: "set the profile", method: "PATCH", path: "/t/acme/me",
			body: `{"nickname":"爱丽丝","avatar_url":"https://cdn.acme.example/alice.png"}`, status: 200},
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
	sealed := func(profile string) string {
		d := wechattest.Encrypt(key, []byte(`{"openId":"`+open+`",`+profile+`"watermark":{"appid":"`+demoAppID+`","timestamp":1}}`))
		return `{"encrypted_data":"` + d.EncryptedData + `","iv":"` + d.IV + `"}`
	}
	// profile is the check that the answer's user has nickname and avatar.
	profile := func(nickname, avatar string) func(t *testing.T, r response) {
		return func(t *testing.T, r response) {
			if u := r.obj("user"); u["nickname"] != nickname || u["avatar_url"] != avatar {
				t.Fatalf("user %v, want nickname %q and avatar %q", u, nickname, avatar)
			}
		}
	}
	runStory(t, e, scenario{path: "/t/acme/me/decrypt", header: bearer(carol)}, []scenario{
		{name: "the anonymous placeholders fill nothing",
			body: sealed(`"nickName":"微信用户","avatarUrl":"` + wechattest.AnonymousAvatarURL + `",`), status: 200, check: profile("", "")},
		{name: "demoted data fills nothing",
			body: sealed(`"nickName":"真名","avatarUrl":"https://cdn.example/c.png","is_demote":true,`), status: 200, check: profile("", "")},
		{name: "empty profile, real nickname, http avatar: the nickname only",
			body: sealed(`"nickName":"卡萝","avatarUrl":"http://insecure.example/c.png",`), status: 200, check: profile("卡萝", "")},
		{name: "a set nickname is kept, the empty avatar filled",
			body: sealed(`"nickName":"别人","avatarUrl":"https://cdn.example/c.png",`), status: 200, check: profile("卡萝", "https://cdn.example/c.png")},
	})
}

func TestSessionKeyCheck(t *testing.T) {
	e := newEnv(t)
	alice := e.login("alice")
	valid := func(want bool) func(t *testing.T, r response) {
		return func(t *testing.T, r response) {
			if v := r.at("valid"); v != want {
				t.Fatalf("valid = %v, want %v: %s", v, want, r.Raw)
			}
		}
	}
	runScenarios(t, e, scenario{method: "GET", path: "/t/acme/me/session-key", header: bearer(alice)}, []scenario{
		{name: "fresh session", status: 200, check: valid(true)},
		{name: "expired key", before: func(e *env) { e.wx.ExpireSessionKey(demoAppID, "alice") }, status: 200, check: valid(false)},
		{name: "WeChat busy", before: func(e *env) { e.wx.SetFaults(wechattest.Faults{SystemErrors: 2}) },
			cleanup: func(e *env) { e.wx.SetFaults(wechattest.Faults{}) }, status: 502, code: "wechat_unavailable"},
		{name: "no session", header: []string{}, status: 401},
	})
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
	// The runner's delta (none) says no user, identity or session changed.
	runStory(t, e, scenario{header: bearer(newer)}, []scenario{
		{name: "decrypt a genuine unionId", path: "/t/acme/me/decrypt", body: e.openData("kai", false), status: 200,
			audit: []string{}, check: func(t *testing.T, r response) {
				if r.Body["session"] != nil || r.obj("data")["unionId"] == nil {
					t.Fatalf("decrypt: %s", r.Raw)
				}
				if e.count("SELECT COUNT(*) FROM user_merges") != 0 || e.count("SELECT COUNT(*) FROM audit_log WHERE action = 'user.merged'") != 0 {
					t.Fatal("decrypt merged")
				}
			}},
		{name: "the session still works", method: "GET", path: "/t/acme/me", status: 200},
	})
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
	var attackerID string
	// The runner's delta (none) says no user, identity or session changed.
	runStory(t, e, scenario{method: "GET", path: "/t/acme/me"}, []scenario{
		{name: "the forgery decrypts as built, and changes nothing", method: "POST", path: "/t/acme/me/decrypt", header: bearer(attacker),
			body: string(body), status: 200, check: func(t *testing.T, r response) {
				if r.obj("data")["unionId"] != forgedUnionID {
					t.Fatalf("the forgery did not decrypt as built: %s", r.Raw)
				}
				if r.Body["session"] != nil {
					t.Fatalf("the attacker got a session: %s", r.Raw)
				}
				if e.count("SELECT COUNT(*) FROM user_merges") != 0 || e.count("SELECT COUNT(*) FROM users WHERE unionid IS NOT NULL") != 1 {
					t.Fatal("the forged unionId merged or moved a unionid")
				}
			}},
		{name: "the attacker is still itself", header: bearer(attacker), status: 200,
			check: func(t *testing.T, r response) { attackerID = r.str("user", "id") }},
		{name: "the victim is still another user", header: bearer(victim), status: 200, check: func(t *testing.T, r response) {
			if r.str("user", "id") == attackerID {
				t.Fatalf("the victim's /me is the attacker's: %s", r.Raw)
			}
		}},
	})
}
