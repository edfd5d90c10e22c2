// Package jwtcheck reads JSON Web Tokens the way the conformance kit
// judges them: the header and claims of a compact JWS decoded without
// trusting them (numbers kept exact, as json.Number), a NumericDate claim
// read as whole seconds, the signature checked against the Ed25519 keys of
// a JWK Set, and a forged copy whose one changed claim no longer matches
// its signature.
package jwtcheck

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/golang-jwt/jwt/v5"
)

// Decode returns a compact JWS's header and claims, numbers as
// json.Number, without checking the signature.
func Decode(tok string) (header, claims map[string]any, err error) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return nil, nil, fmt.Errorf("not a JWT: %d dot-separated parts, want 3", len(parts))
	}
	for i, dst := range []*map[string]any{&header, &claims} {
		b, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			return nil, nil, fmt.Errorf("JWT part %d is not unpadded base64url: %w", i+1, err)
		}
		v, err := DecodeJSON(b)
		if err != nil {
			return nil, nil, fmt.Errorf("JWT part %d is not JSON: %w", i+1, err)
		}
		m, ok := v.(map[string]any)
		if !ok {
			return nil, nil, fmt.Errorf("JWT part %d is not a JSON object", i+1)
		}
		*dst = m
	}
	return header, claims, nil
}

// DecodeJSON decodes one JSON value, numbers as json.Number (so 3600 and
// 3600.0 stay apart), refusing anything after it.
func DecodeJSON(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("trailing data after the JSON value")
	}
	return v, nil
}

// IntClaim reads a NumericDate-like claim that must be a whole number of
// seconds (RFC 7519 allows fractions; Pipedream's tokens carry none, and
// clients that parse into integers choke on them).
func IntClaim(claims map[string]any, name string) (int64, error) {
	v, ok := claims[name]
	if !ok {
		return 0, fmt.Errorf("the token has no claim %s", name)
	}
	n, isNum := v.(json.Number)
	if !isNum {
		b, _ := json.Marshal(v)
		return 0, fmt.Errorf("the claim %s is %s, not a number", name, b)
	}
	i, err := n.Int64()
	if err != nil {
		return 0, fmt.Errorf("the claim %s is %s, not a whole number of seconds", name, n)
	}
	return i, nil
}

// VerifyWithJWKS checks tok's EdDSA signature with the Ed25519 keys of a
// JWK Set (RFC 7517, RFC 8037): the key its kid names, or any when it has
// none. Claims are not validated: an emulator's clock need not be ours.
func VerifyWithJWKS(tok string, jwks []byte) error {
	var set struct {
		Keys []struct {
			Kty string `json:"kty"`
			Crv string `json:"crv"`
			X   string `json:"x"`
			Kid string `json:"kid"`
			Use string `json:"use"`
		} `json:"keys"`
	}
	if err := json.Unmarshal(jwks, &set); err != nil {
		return fmt.Errorf("the key set is not a JWK Set: %w", err)
	}
	header, _, err := Decode(tok)
	if err != nil {
		return err
	}
	kid, _ := header["kid"].(string)
	var keys []ed25519.PublicKey
	for _, k := range set.Keys {
		if k.Kty != "OKP" || k.Crv != "Ed25519" || (kid != "" && k.Kid != kid) || (k.Use != "" && k.Use != "sig") {
			continue
		}
		x, err := base64.RawURLEncoding.DecodeString(k.X)
		if err != nil || len(x) != ed25519.PublicKeySize {
			return fmt.Errorf("the key %q has an x that is not a base64url Ed25519 public key", k.Kid)
		}
		keys = append(keys, ed25519.PublicKey(x))
	}
	if len(keys) == 0 {
		return fmt.Errorf("the key set has no Ed25519 signing key (OKP, crv Ed25519) for kid %q among %d keys", kid, len(set.Keys))
	}
	var errs []error
	for _, key := range keys {
		_, err := jwt.Parse(tok, func(*jwt.Token) (any, error) { return key, nil },
			jwt.WithValidMethods([]string{"EdDSA"}), jwt.WithoutClaimsValidation())
		if err == nil {
			return nil
		}
		errs = append(errs, err)
	}
	return fmt.Errorf("no key of the set verifies the token: %w", errors.Join(errs...))
}

// Forge returns tok with the claim name set to the JSON value doc and the
// original signature kept: a token a faithful server must refuse.
func Forge(tok, name, doc string) (string, error) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return "", errors.New("no JWT to alter")
	}
	_, claims, err := Decode(tok)
	if err != nil {
		return "", err
	}
	v, err := DecodeJSON([]byte(doc))
	if err != nil {
		return "", fmt.Errorf("the claim's JSON %s: %w", doc, err)
	}
	claims[name] = v
	b, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	parts[1] = base64.RawURLEncoding.EncodeToString(b)
	return strings.Join(parts, "."), nil
}
