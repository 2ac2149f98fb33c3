package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestConfigStringPrintsEveryField fills every field of Config by
// reflection (so a field added later is covered without touching this
// test) and checks that String names each one, shows the value of each
// plain one, and never the secret part of a secret one.
func TestConfigStringPrintsEveryField(t *testing.T) {
	var c Config
	type want struct {
		key, value string
		secret     bool
	}
	var wants []want
	var fill func(prefix string, v reflect.Value)
	fill = func(prefix string, v reflect.Value) {
		for i := range v.NumField() {
			f, fv := v.Type().Field(i), v.Field(i)
			if f.Tag.Get("print") == "-" {
				continue
			}
			key := prefix + snake(f.Name)
			secret := f.Tag.Get("secret") != ""
			// A value with a password in it, so that the masking of URLs
			// and DSNs is put to the test as well as that of plain secrets.
			text := "redis://user:pw-" + key + "@host-" + key + ":1/0"
			if f.Tag.Get("secret") == "dsn" {
				text = "user:pw-" + key + "@tcp(host:3306)/db"
			}
			switch {
			case fv.Kind() == reflect.Struct:
				fill(key+".", fv)
				continue
			case fv.Kind() == reflect.String:
				fv.SetString(text)
			case fv.Type() == reflect.TypeFor[[]string]():
				fv.Set(reflect.ValueOf([]string{text}))
			case fv.Type() == reflect.TypeFor[time.Duration]():
				fv.SetInt(int64(7 * time.Second))
				text = "7s"
			case fv.Kind() == reflect.Int:
				fv.SetInt(7)
				text = "7"
			case fv.Kind() == reflect.Bool:
				fv.SetBool(true)
				text = "true"
			default: // e.g. the trusted proxies: only the key is checked
				text = ""
			}
			wants = append(wants, want{key: key, value: text, secret: secret})
		}
	}
	fill("", reflect.ValueOf(&c).Elem())
	s := c.String()
	for _, w := range wants {
		if !strings.Contains(s, w.key+"=") {
			t.Errorf("String() lacks %s: %s", w.key, s)
		}
		switch {
		case w.secret && strings.Contains(s, "pw-"+w.key+"@"):
			t.Errorf("String() shows the secret %s: %s", w.key, s)
		case !w.secret && w.value != "" && !strings.Contains(s, w.key+"="+w.value):
			t.Errorf("String() lacks the value of %s (%s): %s", w.key, w.value, s)
		}
	}
}

// TestSecretFiles: every secret variable can come from a file
// (NAME_FILE), and not from both places at once.
func TestSecretFiles(t *testing.T) {
	key := "c2VjcmV0LW1hc3Rlci1rZXktMzItYnl0ZXMtbG9uZyE="
	old := "b2xkLW1hc3Rlci1rZXktdGhhdC1pcy0zMi1ieXRlcyE="
	dir := t.TempDir()
	file := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	unsetenv(t, "MINIAUTH_MASTER_KEY")
	t.Setenv("MINIAUTH_MASTER_KEY_FILE", file("key", key))
	t.Setenv("MINIAUTH_OLD_MASTER_KEYS_FILE", file("old", old))
	t.Setenv("MINIAUTH_MYSQL_DSN_FILE", file("dsn", "app:pw@tcp(db:3306)/miniauth"))
	t.Setenv("MINIAUTH_REDIS_URL_FILE", file("redis", "redis://:pw@cache:6379/2"))
	c, err := loadConfig("serve")
	if err != nil {
		t.Fatal(err)
	}
	if c.MasterKey != key || len(c.OldMasterKeys) != 1 || c.OldMasterKeys[0] != old || c.Keys == nil {
		t.Errorf("master keys from files: %q %q", c.MasterKey, c.OldMasterKeys)
	}
	if !strings.HasPrefix(c.MySQLDSN, "app:pw@tcp(db:3306)/miniauth?") {
		t.Errorf("DSN from a file: %q", c.MySQLDSN)
	}
	if c.Redis.Password != "pw" || c.Redis.DB != 2 || c.Redis.Addrs[0] != "cache:6379" {
		t.Errorf("Redis from a file: %+v", c.Redis)
	}
	t.Setenv("MINIAUTH_MASTER_KEY", key)
	if _, err := loadConfig("serve"); err == nil || !strings.Contains(err.Error(), "not both") {
		t.Errorf("a key in both places = %v, want a refusal", err)
	}
	unsetenv(t, "MINIAUTH_MASTER_KEY")
	t.Setenv("MINIAUTH_MASTER_KEY_FILE", filepath.Join(dir, "missing"))
	if _, err := loadConfig("serve"); err == nil {
		t.Error("a missing key file was accepted")
	}
}

// TestMasterKeyChecks: the commands that seal need a master key, and a
// key that is set must be a good one, for every command.
func TestMasterKeyChecks(t *testing.T) {
	unsetenv(t, "MINIAUTH_MASTER_KEY")
	if _, err := loadConfig("serve"); err == nil || !strings.Contains(err.Error(), "MINIAUTH_MASTER_KEY is required") {
		t.Errorf("serve without a master key = %v", err)
	}
	if _, err := loadConfig("migrate"); err != nil {
		t.Errorf("migrate without a master key = %v", err)
	}
	t.Setenv("MINIAUTH_MASTER_KEY", "c2hvcnQ=")
	if _, err := loadConfig("migrate"); err == nil {
		t.Error("a short master key was accepted")
	}
}

// TestRedisConfig: one URL is one server, several a cluster, and with a
// Sentinel master they are the sentinels (redis.NewUniversalClient).
func TestRedisConfig(t *testing.T) {
	for _, tc := range []struct {
		url, master string
		addrs       int
		err         bool
	}{
		{"redis://127.0.0.1:6379/0", "", 1, false},
		{"redis://a:7000, redis://b:7001,redis://c:7002", "", 3, false},
		{"redis://s1:26379,redis://s2:26379", "mymaster", 2, false},
		{"http://nope", "", 0, true},
	} {
		o, err := redisOptions(tc.url, tc.master)
		if (err != nil) != tc.err || (err == nil && (len(o.Addrs) != tc.addrs || o.MasterName != tc.master)) {
			t.Errorf("redisOptions(%q, %q) = %+v, %v", tc.url, tc.master, o, err)
		}
	}
}
