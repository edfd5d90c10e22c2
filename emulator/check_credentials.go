package emulator

import (
	"errors"

	"github.com/pdemu/pdemu/emulator/apperr"
	"github.com/pdemu/pdemu/emulator/internal/connect"
	"github.com/pdemu/pdemu/emulator/internal/oauth"
)

// CheckCredentials reports the first value of c that New would refuse in
// its seed's first workspace, project or client, with the rule it breaks;
// an empty field (one the seed or the generator fills) is not checked. It
// is New's own check, for command lines that report a bad value before
// starting anything. The error never repeats the client secret.
func CheckCredentials(c Credentials) error {
	checks := []func() error{
		func() error { return connect.CheckWorkspaceID(c.WorkspaceID) },
		func() error { return connect.CheckProjectID(c.ProjectID) },
		func() error { return oauth.CheckCredential("client id", c.ClientID) },
		func() error { return oauth.CheckCredential("client secret", c.ClientSecret) },
	}
	for i, v := range []string{c.WorkspaceID, c.ProjectID, c.ClientID, c.ClientSecret} {
		if v == "" {
			continue
		}
		if err := checks[i](); err != nil {
			// The rule alone, without the wire's error code.
			if ae, ok := errors.AsType[*apperr.Error](err); ok && ae.Message != "" {
				return errors.New(ae.Message)
			}
			return err
		}
	}
	return nil
}
