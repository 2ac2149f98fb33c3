package tenants_test

import (
	"errors"
	"testing"

	"miniauth/tenants"
)

func TestAppsOfKind(t *testing.T) {
	tn := &tenants.Tenant{Apps: []tenants.App{
		{ID: 1, Kind: tenants.KindMiniProgram, AppID: "wxmp1"},
		{ID: 2, Kind: tenants.KindMiniProgram, AppID: "wxmp2", IsDefault: true},
		{ID: 3, Kind: tenants.KindOfficialAccount, AppID: "wxoa1"},
		{ID: 4, Kind: tenants.KindOfficialAccount, AppID: "wxoa2"},
		{ID: 5, Kind: tenants.KindMobileApp, AppID: "wxapp1"},
		{ID: 6, Kind: tenants.KindWebsite, AppID: "wxweb1"},
		{ID: 7, Kind: tenants.KindWebsite, AppID: "wxweb2"},
	}}
	tests := []struct {
		name   string
		pick   func(string) (*tenants.App, error)
		appid  string
		wantID int64 // 0: ErrAppUnknown
	}{
		{"default mini-program", tn.MiniProgram, "", 2},
		{"named mini-program", tn.MiniProgram, "wxmp1", 1},
		{"official account is no mini-program", tn.MiniProgram, "wxoa1", 0},
		{"first official account", tn.OfficialAccount, "", 3},
		{"named official account", tn.OfficialAccount, "wxoa2", 4},
		{"mini-program is no official account", tn.OfficialAccount, "wxmp2", 0},
		{"first mobile app", tn.MobileApp, "", 5},
		{"website is no mobile app", tn.MobileApp, "wxweb1", 0},
		{"first website", tn.Website, "", 6},
		{"named website", tn.Website, "wxweb2", 7},
		{"mobile app is no website", tn.Website, "wxapp1", 0},
		{"mobile app is no mini-program", tn.MiniProgram, "wxapp1", 0},
		{"unknown", tn.MiniProgram, "wxnope", 0},
		{"by id", func(string) (*tenants.App, error) { return tn.AppByID(3) }, "", 3},
		{"unknown id", func(string) (*tenants.App, error) { return tn.AppByID(9) }, "", 0},
	}
	for _, tt := range tests {
		a, err := tt.pick(tt.appid)
		switch {
		case tt.wantID == 0 && !errors.Is(err, tenants.ErrAppUnknown):
			t.Errorf("%s: %v, %v; want ErrAppUnknown", tt.name, a, err)
		case tt.wantID != 0 && (err != nil || a.ID != tt.wantID):
			t.Errorf("%s: %v, %v; want app %d", tt.name, a, err, tt.wantID)
		}
	}
}
