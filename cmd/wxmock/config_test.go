package main

import (
	"errors"
	"flag"
	"io"
	"reflect"
	"strings"
	"testing"
)

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestParseConfig(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want config
	}{
		{"flag, default addr", []string{"--app", "wxa:sa"},
			nil, config{addr: "127.0.0.1:8081", apps: []appSpec{{"wxa", "sa", "", ""}}}},
		{"repeated flags, open platform", []string{"--addr", ":9000", "--app", "wxa:sa:op", "-app=wxb:sb", "--verbose"},
			nil, config{addr: ":9000", verbose: true, apps: []appSpec{{"wxa", "sa", "op", ""}, {"wxb", "sb", "", ""}}}},
		{"environment first, then flags", []string{"--app", "wxc:sc"},
			map[string]string{"WXMOCK_APPS": " wxa:sa:op , ,wxb:sb,"},
			config{addr: "127.0.0.1:8081", apps: []appSpec{{"wxa", "sa", "op", ""}, {"wxb", "sb", "", ""}, {"wxc", "sc", "", ""}}}},
		{"official accounts", []string{"--app", "wxa:sa:op", "--oa", "wxo:so:op"},
			map[string]string{"WXMOCK_OFFICIAL_ACCOUNTS": "wxp:sp"},
			config{addr: "127.0.0.1:8081", apps: []appSpec{{"wxa", "sa", "op", ""}, {"wxp", "sp", "", kindOfficialAccount}, {"wxo", "so", "op", kindOfficialAccount}}}},
		{"content check words", []string{"--app", "wxa:sa", "--risky-word", "坏词", "--review-word", "可疑", "--risky-word", "spam"},
			nil, config{addr: "127.0.0.1:8081", riskyWords: []string{"坏词", "spam"}, reviewWords: []string{"可疑"}, apps: []appSpec{{"wxa", "sa", "", ""}}}},
		{"failure knobs", []string{"--oa", "wxo:so", "--oa-domain", "wxo=h5.example.com,b.example.com", "--force-per-day", "3",
			"--token-per-day", "-1", "--session-key-rotation", "wx.login"},
			nil, config{addr: "127.0.0.1:8081", apps: []appSpec{{"wxo", "so", "", kindOfficialAccount}}, forcePerDay: 3, tokenPerDay: -1,
				rotation: "wx.login", oauthDomains: map[string][]string{"wxo": {"h5.example.com", "b.example.com"}}}},
		{"Open Platform apps, environment first", []string{"--app", "wxa:sa:op", "--open-app", "wxm:sm:op:mobileapp", "--open-app", "wxw:sw:op:website",
			"--oa-domain", "wxw=www.example.com"},
			map[string]string{"WXMOCK_OPEN_APPS": "wxn:sn:op2:mobileapp"},
			config{addr: "127.0.0.1:8081", apps: []appSpec{{"wxa", "sa", "op", ""}, {"wxn", "sn", "op2", "mobileapp"},
				{"wxm", "sm", "op", "mobileapp"}, {"wxw", "sw", "op", "website"}},
				oauthDomains: map[string][]string{"wxw": {"www.example.com"}}}},
		{"per-user limit off for load tests", []string{"--app", "wxa:sa", "--user-per-minute", "-1"},
			nil, config{addr: "127.0.0.1:8081", userPerMinute: -1, apps: []appSpec{{"wxa", "sa", "", ""}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseConfig(tt.args, env(tt.env), io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseConfigErrors(t *testing.T) {
	const secret = "hush-hush-secret"
	tests := []struct {
		name string
		args []string
		env  string
		want error // nil: any error
	}{
		{"no apps", nil, "", nil},
		{"too many parts", []string{"--app", "wxa:" + secret + ":op:x"}, "", nil},
		{"no secret", []string{"--app", "wxa"}, "", nil},
		{"empty secret", []string{"--app", "wxa::op"}, "", nil},
		{"empty open platform", []string{"--app", "wxa:" + secret + ":"}, "", nil},
		{"bad environment entry", nil, "wxa:" + secret + ":op:x", nil},
		{"duplicate appid", []string{"--app", "wxa:" + secret}, "wxa:other", nil},
		{"stray argument", []string{"--app", "wxa:" + secret, "serve"}, "", nil},
		{"empty risky word", []string{"--app", "wxa:" + secret, "--risky-word", ""}, "", nil},
		{"unknown flag", []string{"--nope"}, "", errUsage},
		{"domain of a mini-program", []string{"--app", "wxa:" + secret, "--oa-domain", "wxa=h5.example.com"}, "", nil},
		{"open app without kind", []string{"--open-app", "wxm:" + secret + ":op"}, "", nil},
		{"open app of an unknown kind", []string{"--open-app", "wxm:" + secret + ":op:miniprogram"}, "", nil},
		{"open app without open platform", []string{"--open-app", "wxm:" + secret + "::website"}, "", nil},
		{"open app without secret", []string{"--open-app", "wxm::op:website"}, "", nil},
		{"open app given as a mini-program too", []string{"--open-app", "wxa:" + secret + ":op:mobileapp"}, "wxa:other", nil},
		{"domain of a mobile app", []string{"--open-app", "wxm:" + secret + ":op:mobileapp", "--oa-domain", "wxm=www.example.com"}, "", nil},
		{"unknown rotation", []string{"--app", "wxa:" + secret, "--session-key-rotation", "sometimes"}, "", nil},
		{"help", []string{"--help"}, "", flag.ErrHelp},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out strings.Builder
			_, err := parseConfig(tt.args, env(map[string]string{"WXMOCK_APPS": tt.env}), &out)
			if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if strings.Contains(err.Error(), secret) || strings.Contains(out.String(), secret) {
				t.Errorf("the secret was printed: %v / %s", err, out.String())
			}
		})
	}
}
