package oauth

// CheckCredential reports whether v can be a fixed client id or secret
// (what names which, for the message): printable ASCII without spaces, at
// most 256 bytes. It is the rule Create applies; the error never repeats v.
func CheckCredential(what, v string) error { return validateCredential(what, v) }
