package tenants_test

import (
	"testing"

	"miniauth/tenants"
)

func TestWebAllowLists(t *testing.T) {
	s := tenants.Settings{
		AllowedOrigins: []string{"https://h5.example.com", "http://localhost:5173"},
		RedirectURIs:   []string{"https://h5.example.com/auth/done", "http://127.0.0.1:8000/cb"},
	}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	redirects := []struct {
		uri  string
		want bool
	}{
		{"https://h5.example.com/auth/done", true},
		{"https://h5.example.com/auth/done?next=%2Fcart", true},
		{"https://H5.EXAMPLE.COM/auth/done", true},
		{"http://127.0.0.1:8000/cb", true},
		{"https://h5.example.com/auth/done#x", false},
		{"https://h5.example.com/auth/done/", false},
		{"https://h5.example.com/auth/done/../../evil", false},
		{"https://h5.example.com.evil.com/auth/done", false},
		{"https://evil.com@h5.example.com/auth/done", false},
		{"https://h5.example.com:8443/auth/done", false},
		{"http://h5.example.com/auth/done", false},
		{"//h5.example.com/auth/done", false},
		{"javascript:alert(1)", false},
		{"", false},
	}
	for _, tt := range redirects {
		if got := s.AllowsRedirect(tt.uri); got != tt.want {
			t.Errorf("AllowsRedirect(%q) = %v", tt.uri, got)
		}
	}
	invalid := []tenants.Settings{
		{AllowedOrigins: []string{"https://h5.example.com/"}},
		{AllowedOrigins: []string{"https://H5.example.com"}},
		{AllowedOrigins: []string{"http://h5.example.com"}},
		{AllowedOrigins: []string{"*"}},
		{RedirectURIs: []string{"https://h5.example.com/cb?x=1"}},
		{RedirectURIs: []string{"https://h5.example.com/cb#f"}},
		{RedirectURIs: []string{"ftp://h5.example.com/cb"}},
		{RedirectURIs: []string{"http://h5.example.com/cb"}},
	}
	for _, st := range invalid {
		if err := st.Validate(); err == nil {
			t.Errorf("Validate(%+v) accepted", st)
		}
	}
}
