package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"miniauth/tenants"
	"miniauth/tenants/audit"
	"miniauth/tenants/sms"
)

// tenantSMSCmd sets a tenant's SMS settings (docs/sms.md): `miniauth
// tenant sms --slug S --provider tencent|aliyun --access-key-id ID
// [--sdk-app-id N] --sign-name NAME --template-id ID`, the secret on
// stdin (never a flag, which ps would show). make run binds the demo
// tenant to smsmock with it.
func tenantSMSCmd(ctx context.Context, reg *tenants.Registry, store *sms.Store, args []string, stdin io.Reader, enc *json.Encoder) error {
	fs := flag.NewFlagSet("tenant sms", flag.ContinueOnError)
	slug := fs.String("slug", "", "tenant slug")
	var st sms.Settings
	fs.StringVar(&st.Provider, "provider", sms.Tencent, "tencent or aliyun")
	fs.StringVar(&st.AccessKeyID, "access-key-id", "", "Tencent SecretId or Alibaba AccessKeyId")
	fs.StringVar(&st.SDKAppID, "sdk-app-id", "", "Tencent SmsSdkAppId")
	fs.StringVar(&st.SignName, "sign-name", "", "the approved sign's text")
	fs.StringVar(&st.TemplateID, "template-id", "", "Tencent TemplateId or Alibaba TemplateCode")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	t, err := reg.BySlug(ctx, *slug)
	if err != nil {
		return fmt.Errorf("tenant %q: %w", *slug, err)
	}
	if st.Secret, err = readLine(stdin, "SMS secret (SecretKey or AccessKey secret)"); err != nil {
		return err
	}
	out, err := store.Put(ctx, t.ID, st, audit.CLI)
	if err != nil {
		return err
	}
	return enc.Encode(out) // never the secret (sms.Settings does not marshal it)
}
