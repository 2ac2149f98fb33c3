package wechat_test

import (
	"errors"
	"fmt"
	"testing"

	"miniauth/tenants/wechat"
)

func TestAPIError(t *testing.T) {
	err := fmt.Errorf("login: %w", &wechat.APIError{API: "jscode2session", Code: 40029, Msg: "invalid code"})
	if got, want := errors.Unwrap(err).Error(), "wechat: jscode2session: errcode 40029: invalid code"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	tests := []struct {
		name  string
		err   error
		codes []int
		want  bool
	}{
		{"matching code", err, []int{40163, 40029}, true},
		{"other codes", err, []int{40163}, false},
		{"no codes", err, nil, false},
		{"not an APIError", wechat.ErrUnavailable, []int{-1}, false},
		{"nil", nil, []int{40029}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := wechat.IsCode(tt.err, tt.codes...); got != tt.want {
				t.Errorf("IsCode = %v, want %v", got, tt.want)
			}
		})
	}
	if errors.Is(err, wechat.ErrUnavailable) {
		t.Error("errcode 40029 counts as unavailable")
	}
	if !errors.Is(&wechat.APIError{Code: -1}, wechat.ErrUnavailable) {
		t.Error("errcode -1 does not count as unavailable")
	}
}
