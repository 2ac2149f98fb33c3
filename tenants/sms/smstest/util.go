package smstest

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"
)

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func contains(list []string, s string) bool { return slices.Contains(list, s) }

func equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

func randByte() byte {
	var b [1]byte
	_, _ = rand.Read(b[:])
	return b[0]
}

func randomDigits(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = '0' + randByte()%10
	}
	return string(b)
}

// e164 checks an E.164 number; under +86 only mobile numbers pass, as
// both services deliver codes only to mobiles.
func e164(s string) (string, bool) {
	if len(s) < 8 || len(s) > 16 || s[0] != '+' || s[1] == '0' || strings.Trim(s[1:], "0123456789") != "" {
		return "", false
	}
	if n, ok := strings.CutPrefix(s, "+86"); ok && (len(n) != 11 || n[0] != '1' || n[1] < '3') {
		return "", false
	}
	return s, true
}

// isoCode is the IsoCode Tencent reports, for the prefixes the simulator
// knows; "DEF" otherwise, as the service does for unrecognised numbers.
func isoCode(phone string) string {
	for _, c := range []struct{ prefix, iso string }{{"+86", "CN"}, {"+852", "HK"}, {"+853", "MO"}, {"+886", "TW"},
		{"+1", "US"}, {"+44", "GB"}, {"+65", "SG"}, {"+81", "JP"}} {
		if strings.HasPrefix(phone, c.prefix) {
			return c.iso
		}
	}
	return "DEF"
}

func (s *Server) count(provider string) {
	s.mu.Lock()
	s.calls[provider]++
	s.mu.Unlock()
}

// countSince counts key's sends at or after since; s.mu is held. Entries
// older than a day are dropped on the way.
func (s *Server) countSince(key string, since time.Time) int {
	times := s.sent[key]
	cut := s.now().Add(-25 * time.Hour)
	times = slices.DeleteFunc(times, func(t time.Time) bool { return t.Before(cut) })
	s.sent[key] = times
	n := 0
	for _, t := range times {
		if !t.Before(since) {
			n++
		}
	}
	return n
}

func (s *Server) record(key string, t time.Time) { s.sent[key] = append(s.sent[key], t) }
