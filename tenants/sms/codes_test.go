package sms_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"miniauth/tenants/sms"
	"miniauth/tenants/tenantstest"
)

// codeKeys lists the code keys under prefix.
func codeKeys(t *testing.T, rdb redis.UniversalClient, prefix string) []string {
	t.Helper()
	keys, err := rdb.Keys(context.Background(), prefix+":t:*:sms:code:*").Result()
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

func TestCodes(t *testing.T) {
	ctx := context.Background()
	rdb, prefix := tenantstest.Redis(t)
	codes := sms.NewCodes(rdb, prefix, tenantstest.Keyring(t).DeriveKey("sms-code"))
	const phone = "+8613800138000"
	wrong := func(code string) string {
		return string('0'+(code[0]-'0'+1)%10) + code[1:]
	}

	t.Run("right code once", func(t *testing.T) {
		code, _, err := codes.Issue(ctx, 1, phone, sms.PurposeLogin)
		if err != nil || len(code) != 6 || strings.Trim(code, "0123456789") != "" {
			t.Fatalf("Issue: %q %v", code, err)
		}
		if err := codes.Verify(ctx, 1, phone, sms.PurposeBind, code); !errors.Is(err, sms.ErrInvalidCode) {
			t.Fatalf("another purpose: %v", err)
		}
		if err := codes.Verify(ctx, 2, phone, sms.PurposeLogin, code); !errors.Is(err, sms.ErrInvalidCode) {
			t.Fatalf("another tenant: %v", err)
		}
		if err := codes.Verify(ctx, 1, "+8613900139000", sms.PurposeLogin, code); !errors.Is(err, sms.ErrInvalidCode) {
			t.Fatalf("another phone: %v", err)
		}
		if err := codes.Verify(ctx, 1, phone, sms.PurposeLogin, code); err != nil {
			t.Fatalf("right code: %v", err)
		}
		if err := codes.Verify(ctx, 1, phone, sms.PurposeLogin, code); !errors.Is(err, sms.ErrInvalidCode) {
			t.Fatalf("used code: %v", err)
		}
	})
	t.Run("five wrong tries end it", func(t *testing.T) {
		code, _, _ := codes.Issue(ctx, 1, phone, sms.PurposeLogin)
		for range sms.MaxAttempts {
			if err := codes.Verify(ctx, 1, phone, sms.PurposeLogin, wrong(code)); !errors.Is(err, sms.ErrInvalidCode) {
				t.Fatal(err)
			}
		}
		if err := codes.Verify(ctx, 1, phone, sms.PurposeLogin, code); !errors.Is(err, sms.ErrInvalidCode) {
			t.Fatalf("right code after 5 wrong: %v", err)
		}
	})
	t.Run("tries carry over a resend", func(t *testing.T) {
		first, _, _ := codes.Issue(ctx, 1, phone, sms.PurposeLogin)
		for range sms.MaxAttempts - 1 {
			_ = codes.Verify(ctx, 1, phone, sms.PurposeLogin, wrong(first))
		}
		second, _, _ := codes.Issue(ctx, 1, phone, sms.PurposeLogin)
		_ = codes.Verify(ctx, 1, phone, sms.PurposeLogin, wrong(second)) // the fifth wrong try in all
		if err := codes.Verify(ctx, 1, phone, sms.PurposeLogin, second); !errors.Is(err, sms.ErrInvalidCode) {
			t.Fatalf("the resent code after five wrong tries in all: %v", err)
		}
	})
	t.Run("expired", func(t *testing.T) {
		code, _, _ := codes.Issue(ctx, 1, phone, sms.PurposeBind)
		keys := codeKeys(t, rdb, prefix)
		if len(keys) != 1 {
			t.Fatalf("keys: %v", keys)
		}
		if ttl := rdb.PTTL(ctx, keys[0]).Val(); ttl <= sms.CodeTTL-time.Minute || ttl > sms.CodeTTL {
			t.Fatalf("ttl %s", ttl)
		}
		rdb.PExpireAt(ctx, keys[0], time.Unix(1, 0)) // what Redis does when the 5 minutes are over
		if err := codes.Verify(ctx, 1, phone, sms.PurposeBind, code); !errors.Is(err, sms.ErrInvalidCode) {
			t.Fatalf("expired code: %v", err)
		}
	})
	t.Run("withdraw brings the replaced code back", func(t *testing.T) {
		first, _, _ := codes.Issue(ctx, 3, phone, sms.PurposeLogin)
		second, is, _ := codes.Issue(ctx, 3, phone, sms.PurposeLogin)
		if err := codes.Withdraw(ctx, is); err != nil {
			t.Fatal(err)
		}
		if second != first {
			if err := codes.Verify(ctx, 3, phone, sms.PurposeLogin, second); !errors.Is(err, sms.ErrInvalidCode) {
				t.Fatalf("the withdrawn code: %v", err)
			}
		}
		if err := codes.Verify(ctx, 3, phone, sms.PurposeLogin, first); err != nil {
			t.Fatalf("the code it had replaced: %v", err)
		}
		_, is, _ = codes.Issue(ctx, 3, phone, sms.PurposeLogin)
		_ = codes.Withdraw(ctx, is)
		if keys := codeKeys(t, rdb, prefix); len(keys) != 0 {
			t.Fatalf("a withdrawn first code left %v", keys)
		}
	})
	t.Run("never the plain code or phone in Redis", func(t *testing.T) {
		code, _, _ := codes.Issue(ctx, 4, phone, sms.PurposeLogin)
		for _, k := range codeKeys(t, rdb, prefix) {
			if strings.Contains(k, "13800138000") {
				t.Fatalf("the phone in a key name: %s", k)
			}
			for f, v := range rdb.HGetAll(ctx, k).Val() {
				if strings.Contains(v, code) || strings.Contains(v, "13800138000") {
					t.Fatalf("%s %s holds the code or the phone: %q", k, f, v)
				}
			}
		}
	})
	if _, _, err := codes.Issue(ctx, 1, phone, "reset"); !errors.Is(err, sms.ErrInvalidPurpose) {
		t.Fatalf("unknown purpose: %v", err)
	}
}
