package sessions_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"strconv"
	"strings"
	"testing"
	"time"

	"miniauth/tenants/sessions"
	"miniauth/tenants/tenantstest"
)

// v2 records seal WeChat's 16 key bytes, raw; other keys are sealed as
// given; a session without a key seals nothing. All open to the key given.
func TestRecordV2(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		rdb, prefix := b.open(t)
		s := sessions.NewStore(rdb, prefix, tenantstest.Keyring(t))
		for _, c := range []struct {
			name, key string
			form      byte
		}{
			{"WeChat's form", "o0q0otL8aEzpcZL/FT9WsQ==", 'b'},
			{"WeChat's form, another", "5tF5KuDigyB6e4m7FigHvw==", 'b'},
			{"not base64", "SESSIONKEY", 't'},
			{"base64 with stray bits", "o0q0otL8aEzpcZL/FT9WsR==", 't'}, // would not re-encode to itself
			{"base64 of 12 bytes", "AAAAAAAAAAAAAAAA", 't'},
			{"base64 of 16 bytes, unpadded", "o0q0otL8aEzpcZL/FT9WsQ", 't'},
			{"none (a web login)", "", 0},
		} {
			t.Run(c.name, func(t *testing.T) {
				token, _, err := s.Create(ctx, sessions.New{TenantID: 1, UserID: 42, AppID: 3, SessionKey: c.key,
					Idle: time.Hour, Absolute: 30 * 24 * time.Hour, IP: "203.0.113.7", UserAgent: iPhoneUA})
				if err != nil {
					t.Fatal(err)
				}
				rec := rdb.Get(ctx, prefix+":t:1:s:"+sessions.IDOf(token)).Val()
				f := strings.SplitN(rec, "|", 9)
				if len(f) != 9 || f[0] != "2" || f[4] != strconv.Itoa(30*24*3600) {
					t.Fatalf("record %q is not v2", rec)
				}
				switch {
				case c.form == 0 && (f[7] != "" || f[8] != ""):
					t.Fatalf("record %q keeps a key id or sealed bytes for no session_key", rec)
				case c.form != 0 && (f[8][0] != c.form || len(f[7]) != 8):
					t.Fatalf("record %q: want the form %q and a key id", rec, c.form)
				case c.form == 'b' && len(f[8]) != 1+12+16+16:
					t.Fatalf("record %q: want nonce, 16 sealed bytes and tag", rec)
				case len(c.key) > 4 && strings.Contains(rec, c.key[:4]):
					t.Fatalf("record %q shows the session_key", rec)
				}
				// 92 bytes is the most that fits a 96-byte allocation with
				// Redis's string header.
				if c.form == 'b' && len(rec) > 92 {
					t.Errorf("record of %d bytes: over 92", len(rec))
				}
				sess, err := s.Get(ctx, 1, token, policy)
				if err != nil || sess.UserID != 42 || sess.AppID != 3 || sess.ExpiresAt.Sub(sess.IssuedAt) != 30*24*time.Hour {
					t.Fatalf("Get = %+v, %v", sess, err)
				}
				if key, err := s.SessionKey(sess); err != nil || key != c.key {
					t.Fatalf("SessionKey = %q, %v; want %q", key, err, c.key)
				}
			})
		}
	})
}

// A record's form byte is bound into the sealing: changed, the key does
// not open.
func TestRecordFormTampered(t *testing.T) {
	ctx := context.Background()
	rdb, prefix := tenantstest.Redis(t)
	s := sessions.NewStore(rdb, prefix, tenantstest.Keyring(t))
	token := create(t, s, 1, 42)
	key := prefix + ":t:1:s:" + sessions.IDOf(token)
	rec := rdb.Get(ctx, key).Val()
	f := strings.SplitN(rec, "|", 9)
	f[8] = "t" + f[8][1:]
	rdb.Set(ctx, key, strings.Join(f, "|"), time.Hour)
	sess, err := s.Get(ctx, 1, token, policy)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.SessionKey(sess); err == nil {
		t.Fatalf("SessionKey of a record with its form changed = %q, want an error", got)
	}
}

// Sessions live for days across a deploy: a v1 record, with its index
// entry in the old format (the whole user agent), still works everywhere.
func TestRecordV1(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		rdb, prefix := b.open(t)
		keys := tenantstest.Keyring(t)
		s := sessions.NewStore(rdb, prefix, keys)

		var raw [32]byte
		_, _ = rand.Read(raw[:])
		token := sessions.TokenPrefix + base64.RawURLEncoding.EncodeToString(raw[:])
		id := sessions.IDOf(token)
		issued := time.Now().Add(-time.Hour).Truncate(time.Second)
		sealed, keyID := keys.Seal([]byte("o0q0otL8aEzpcZL/FT9WsQ=="), "session-key:1:"+id)
		rec := "1|42|3|" + strconv.FormatInt(issued.Unix(), 10) + "|" + strconv.FormatInt(issued.Add(24*time.Hour).Unix(), 10) +
			"|0|2|" + keyID + "|" + base64.RawStdEncoding.EncodeToString(sealed)
		rdb.Set(ctx, prefix+":t:1:s:"+id, rec, time.Hour)
		rdb.HSet(ctx, prefix+":t:1:u:42:s", id, strconv.FormatInt(issued.Unix(), 10)+"|10.0.0.9|"+iPhoneUA)

		sess, err := s.Get(ctx, 1, token, policy)
		if err != nil || sess.UserID != 42 || sess.AppID != 3 || sess.UserEpoch != 2 ||
			!sess.IssuedAt.Equal(issued) || !sess.ExpiresAt.Equal(issued.Add(24*time.Hour)) {
			t.Fatalf("Get = %+v, %v", sess, err)
		}
		if key, err := s.SessionKey(sess); err != nil || key != "o0q0otL8aEzpcZL/FT9WsQ==" {
			t.Fatalf("SessionKey = %q, %v", key, err)
		}
		if _, err := s.ByID(ctx, 1, id, policy); err != nil {
			t.Fatalf("ByID: %v", err)
		}
		if n, err := s.CountLive(ctx, 1, []int64{42}, 0); err != nil || n != 1 {
			t.Fatalf("CountLive = %d, %v", n, err)
		}
		list, err := s.ListUser(ctx, 1, 42)
		if err != nil || len(list) != 1 {
			t.Fatalf("ListUser = %+v, %v", list, err)
		}
		if i := list[0]; i.ID != id || i.IP != "10.0.0.9" || i.UserAgent != "WeChat 8.0.50 iOS 17.5" || !i.IssuedAt.Equal(issued) {
			t.Fatalf("ListUser = %+v", i)
		}
	})
}

func TestDecodeRefuses(t *testing.T) {
	sealed := strings.Repeat("\x00", 44)
	for name, rec := range map[string]string{
		"empty":                    "",
		"garbage":                  "not a record",
		"unknown version":          "3|42|3|1700000000|86400|0|0|892494ce|b" + sealed,
		"too few fields":           "2|42|3|1700000000|86400|0|0",
		"not a number":             "2|42|x|1700000000|86400|0|0|892494ce|b" + sealed,
		"unknown form":             "2|42|3|1700000000|86400|0|0|892494ce|x" + sealed,
		"form without bytes":       "2|42|3|1700000000|86400|0|0|892494ce|b",
		"sealed without key id":    "2|42|3|1700000000|86400|0|0||b" + sealed,
		"key id without sealed":    "2|42|3|1700000000|86400|0|0|892494ce|",
		"v1 with bad base64":       "1|42|3|1700000000|1700086400|0|0|892494ce|!!!",
		"v1 with a field too many": "1|42|3|1700000000|1700086400|0|0|892494ce|AAAA|AAAA",
	} {
		t.Run(name, func(t *testing.T) {
			if sess, err := sessions.Decode("id", 1, rec); err == nil {
				t.Fatalf("decode(%q) = %+v, want an error", rec, sess)
			}
		})
	}
	if _, err := sessions.Decode("id", 1, "2|42|3|1700000000|86400|0|0||"); err != nil {
		t.Fatalf("a v2 record without a session_key: %v", err)
	}
}
