package users

import (
	"context"
	"database/sql"
	"time"

	"github.com/jmoiron/sqlx"
)

// touchLogin records a returning login at now: the user's last_login_at
// and that of the identity it came through, in one statement. A way in
// without a WeChat identity (l.OpenID empty) joins no identity and
// touches the user alone. The identity's time used to be written only
// when it was created, so the console's "Last login" of a WeChat identity
// never moved.
func touchLogin(ctx context.Context, ex sqlx.ExecerContext, l Login, userID int64, now time.Time) (sql.Result, error) {
	return ex.ExecContext(ctx, `UPDATE users u
		LEFT JOIN identities i ON i.user_id = u.id AND i.tenant_id = u.tenant_id AND i.app_id = ? AND i.openid = ?
		SET u.last_login_at = ?, i.last_login_at = ?
		WHERE u.id = ? AND u.tenant_id = ?`, l.AppID, l.OpenID, now, now, userID, l.TenantID)
}
