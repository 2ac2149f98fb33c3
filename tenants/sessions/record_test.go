package sessions_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"miniauth/tenants/sessions"
	"miniauth/tenants/tenantstest"
)

// v3 records seal WeChat's 16 key bytes, raw; other keys are sealed as
// given; a session without a key seals nothing. All open to the key given,
// and a mini-program session's record fits a 96-byte allocation.
func TestRecordV3(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		rdb, prefix := b.open(t)
		s := sessions.NewStore(rdb, prefix, tenantstest.Keyring(t))
		for _, c := range []struct {
			name, key string
			form      byte
			sealed    int // bytes of ciphertext and tag
		}{
			{"WeChat's form", "o0q0otL8aEzpcZL/FT9WsQ==", 'b', 16 + 16},
			{"WeChat's form, another", "5tF5KuDigyB6e4m7FigHvw==", 'b', 16 + 16},
			{"not base64", "SESSIONKEY", 't', 10 + 16},
			{"base64 with stray bits", "o0q0otL8aEzpcZL/FT9WsR==", 't', 24 + 16}, // would not re-encode to itself
			{"base64 of 12 bytes", "AAAAAAAAAAAAAAAA", 't', 16 + 16},
			{"base64 of 16 bytes, unpadded", "o0q0otL8aEzpcZL/FT9WsQ", 't', 22 + 16},
			{"none (a web login)", "", 0, 0},
		} {
			t.Run(c.name, func(t *testing.T) {
				token, _, err := s.Create(ctx, sessions.New{TenantID: 1, UserID: 42, AppID: 3, SessionKey: c.key,
					Idle: time.Hour, Absolute: 30 * 24 * time.Hour, IP: "203.0.113.7", UserAgent: iPhoneUA})
				if err != nil {
					t.Fatal(err)
				}
				if len(token) != len(sessions.TokenPrefix)+44 {
					t.Fatalf("token %q: want the prefix and 44 characters", token)
				}
				rec := rdb.Get(ctx, v3Key(t, prefix, 1, sessions.IDOf(token))).Val()
				device := "WeChat 8.0.50 iOS 17.5"
				// '3', seven varints (42, 3, issued: 5 bytes, 30 days: 4 bytes, 0, 0, 0),
				// the address, the device, the form, and the key id and sealed bytes.
				head := 1 + 1 + 1 + 5 + 4 + 1 + 1 + 1 + 1 + 4 + 1 + len(device) + 1
				want := head
				if c.form != 0 {
					want += 1 + 8 + c.sealed
				}
				switch {
				case len(rec) == 0 || rec[0] != '3':
					t.Fatalf("record %q is not v3", rec)
				case len(rec) != want:
					t.Fatalf("record of %d bytes, want %d: %q", len(rec), want, rec)
				case rec[head-1] != c.form:
					t.Fatalf("record %q: want the form %q", rec, c.form)
				case !strings.Contains(rec, "\x04\xcb\x00\x71\x07"+string(rune(len(device)))+device):
					t.Fatalf("record %q does not keep the address and the device", rec)
				case len(c.key) > 4 && strings.Contains(rec, c.key[:4]):
					t.Fatalf("record %q shows the session_key", rec)
				}
				// 92 bytes is the most that fits a 96-byte allocation with
				// Redis's string header.
				if c.form == 'b' && len(rec) > 92 {
					t.Errorf("record of %d bytes: over 92", len(rec))
				}
				sess, err := s.Get(ctx, 1, token, policy)
				if err != nil || sess.UserID != 42 || sess.AppID != 3 || sess.ExpiresAt.Sub(sess.IssuedAt) != 30*24*time.Hour ||
					sess.IP != "203.0.113.7" || sess.Device != device {
					t.Fatalf("Get = %+v, %v", sess, err)
				}
				if key, err := s.SessionKey(sess); err != nil || key != c.key {
					t.Fatalf("SessionKey = %q, %v; want %q", key, err, c.key)
				}
			})
		}
	})
}

// v3Key is the Redis key of a v3 session's record.
func v3Key(t *testing.T, prefix string, tenantID int64, id string) string {
	t.Helper()
	raw, err := base64.RawURLEncoding.Strict().DecodeString(id)
	if err != nil || len(raw) != 16 {
		t.Fatalf("session id %q: want 16 bytes in base64url", id)
	}
	return prefix + ":t:" + strconv.FormatInt(tenantID, 10) + ":S:" + string(raw)
}

// A record's form byte is bound into the sealing: changed, the key does
// not open.
func TestRecordFormTampered(t *testing.T) {
	ctx := context.Background()
	rdb, prefix := tenantstest.Redis(t)
	s := sessions.NewStore(rdb, prefix, tenantstest.Keyring(t))
	token := create(t, s, 1, 42)
	key := v3Key(t, prefix, 1, sessions.IDOf(token))
	rec := []byte(rdb.Get(ctx, key).Val())
	i := strings.Index(string(rec), "b\x08") // the form, then the key id's length
	if i < 0 {
		t.Fatalf("record %q: no form 'b'", rec)
	}
	rec[i] = 't'
	rdb.Set(ctx, key, rec, time.Hour)
	sess, err := s.Get(ctx, 1, token, policy)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.SessionKey(sess); err == nil {
		t.Fatalf("SessionKey of a record with its form changed = %q, want an error", got)
	}
}

// A legacy token's v2 record, written before v3, still works everywhere,
// its address and device read from the user's index.
func TestRecordV2(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		rdb, prefix := b.open(t)
		keys := tenantstest.Keyring(t)
		s := sessions.NewStore(rdb, prefix, keys)

		var raw [32]byte
		_, _ = rand.Read(raw[:])
		token := sessions.TokenPrefix + base64.RawURLEncoding.EncodeToString(raw[:])
		id := sessions.IDOf(token)
		if len(id) != 43 {
			t.Fatalf("a legacy token's id %q: want 43 characters", id)
		}
		issued := time.Now().Add(-time.Hour).Truncate(time.Second)
		key, _ := base64.StdEncoding.DecodeString("o0q0otL8aEzpcZL/FT9WsQ==")
		sealed, keyID := keys.Seal(key, "session-key:1:"+id+":bytes")
		rec := "2|42|3|" + strconv.FormatInt(issued.Unix(), 10) + "|86400|0|2|" + keyID + "|b" + string(sealed)
		rdb.Set(ctx, prefix+":t:1:s:"+id, rec, time.Hour)
		rdb.HSet(ctx, prefix+":t:1:u:42:s", id, strconv.FormatInt(issued.Unix(), 10)+"|10.0.0.9|WeChat 8.0.50 iOS 17.5")

		sess, err := s.Get(ctx, 1, token, policy)
		if err != nil || sess.UserID != 42 || sess.UserEpoch != 2 || !sess.ExpiresAt.Equal(issued.Add(24*time.Hour)) {
			t.Fatalf("Get = %+v, %v", sess, err)
		}
		if got, err := s.SessionKey(sess); err != nil || got != "o0q0otL8aEzpcZL/FT9WsQ==" {
			t.Fatalf("SessionKey = %q, %v", got, err)
		}
		list, err := s.ListUser(ctx, 1, 42)
		if err != nil || len(list) != 1 || list[0].ID != id || list[0].IP != "10.0.0.9" {
			t.Fatalf("ListUser = %+v, %v", list, err)
		}
		if err := s.Revoke(ctx, 1, 42, id); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Get(ctx, 1, token, policy); !errors.Is(err, sessions.ErrNotFound) {
			t.Fatalf("Get after Revoke: %v", err)
		}
		if n := rdb.HLen(ctx, prefix+":t:1:u:42:s").Val(); n != 0 {
			t.Fatalf("the index keeps %d entries after Revoke", n)
		}
	})
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
		"unknown version":          "4|42|3|1700000000|86400|0|0|892494ce|b" + sealed,
		"too few fields":           "2|42|3|1700000000|86400|0|0",
		"not a number":             "2|42|x|1700000000|86400|0|0|892494ce|b" + sealed,
		"unknown form":             "2|42|3|1700000000|86400|0|0|892494ce|x" + sealed,
		"form without bytes":       "2|42|3|1700000000|86400|0|0|892494ce|b",
		"sealed without key id":    "2|42|3|1700000000|86400|0|0||b" + sealed,
		"key id without sealed":    "2|42|3|1700000000|86400|0|0|892494ce|",
		"v1 with bad base64":       "1|42|3|1700000000|1700086400|0|0|892494ce|!!!",
		"v1 with a field too many": "1|42|3|1700000000|1700086400|0|0|892494ce|AAAA|AAAA",
		"v3, only the version":     "3",
		"v3, cut in a varint":      "3\x2a\x03\x80",
		"v3, no form":              "3\x2a\x03\x01\x01\x00\x00\x00\x00\x00",
		"v3, an address of 5":      "3\x2a\x03\x01\x01\x00\x00\x00\x05abcde\x00\x00",
		"v3, device cut short":     "3\x2a\x03\x01\x01\x00\x00\x00\x00\x09abc",
		"v3, no key but bytes":     "3\x2a\x03\x01\x01\x00\x00\x00\x00\x00\x00xyz",
		"v3, a key without id":     "3\x2a\x03\x01\x01\x00\x00\x00\x00\x00b\x00" + sealed,
		"v3, a key id, no bytes":   "3\x2a\x03\x01\x01\x00\x00\x00\x00\x00b\x08892494ce",
		"v3, unknown form":         "3\x2a\x03\x01\x01\x00\x00\x00\x00\x00x\x08892494ce" + sealed,
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
	if sess, err := sessions.Decode("id", 1, "3\x2a\x03\x01\x01\x00\x00\x00\x00\x00\x00"); err != nil || sess.UserID != 42 || sess.AppID != 3 {
		t.Fatalf("a v3 record without an address, a device or a session_key = %+v, %v", sess, err)
	}
}

// A session's last use is kept in its record, renewed with the idle
// expiry; a session revoked meanwhile is not brought back by the renewal.
func TestLastSeen(t *testing.T) {
	ctx := context.Background()
	rdb, prefix := tenantstest.Redis(t)
	s := sessions.NewStore(rdb, prefix, tenantstest.Keyring(t))
	now := time.Now().Truncate(time.Second)
	sessions.SetClock(s, func() time.Time { return now })
	token, sess, err := s.Create(ctx, sessions.New{TenantID: 1, UserID: 42, AppID: 1, SessionKey: "o0q0otL8aEzpcZL/FT9WsQ==",
		Idle: time.Hour, Absolute: 24 * time.Hour, IP: "10.0.0.1", UserAgent: iPhoneUA})
	if err != nil {
		t.Fatal(err)
	}
	lastSeen := func() time.Time {
		t.Helper()
		list, err := s.ListUser(ctx, 1, 42)
		if err != nil || len(list) != 1 {
			t.Fatalf("ListUser = %+v, %v", list, err)
		}
		return list[0].LastSeen
	}
	if got := lastSeen(); !got.Equal(now) {
		t.Fatalf("last seen after the login = %v, want %v", got, now)
	}
	now = now.Add(10 * time.Minute) // past the slide step (36 s for an hour's idle lifetime)
	if _, err := s.Get(ctx, 1, token, policy); err != nil {
		t.Fatal(err)
	}
	if got := lastSeen(); !got.Equal(now) {
		t.Fatalf("last seen after a use = %v, want %v", got, now)
	}
	got, err := s.Get(ctx, 1, token, policy)
	if err != nil || !got.LastSeen.Equal(now) {
		t.Fatalf("Get = %+v, %v; want the last use %v", got, err, now)
	}
	if key, err := s.SessionKey(got); err != nil || key != "o0q0otL8aEzpcZL/FT9WsQ==" {
		t.Fatalf("SessionKey after the renewal = %q, %v", key, err)
	}

	// Revoked between a node's GET and its renewal: the renewal is SET XX.
	if err := s.Revoke(ctx, 1, 42, sess.ID); err != nil {
		t.Fatal(err)
	}
	key := v3Key(t, prefix, 1, sess.ID)
	if err := rdb.SetArgs(ctx, key, "x", redis.SetArgs{Mode: "XX"}).Err(); !errors.Is(err, redis.Nil) {
		t.Fatalf("SET XX of a revoked record: %v, want redis.Nil", err)
	}
	if n := rdb.Exists(ctx, key).Val(); n != 0 {
		t.Fatal("the revoked record is back")
	}
}
