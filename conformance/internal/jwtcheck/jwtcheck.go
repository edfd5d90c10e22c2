// Package jwtcheck reads JSON Web Tokens the way the conformance kit
// judges them: the header and claims of a compact JWS decoded without
// trusting them (numbers kept exact, as json.Number), a NumericDate claim
// read as whole seconds, the signature checked against the keys of a JWK
// Set, and a forged copy whose one changed claim no longer matches
// its signature.
package jwtcheck

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"

	"github.com/pdemu/pdemu/conformance/internal/wire"
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
		v, err := wire.Decode(b)
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

// VerifyWithJWKS checks tok's signature with the keys of a JWK Set
// (RFC 7517, read by go-jose): the key its kid names, or any when it has
// none, each with the algorithms its type signs with (Ed25519: EdDSA,
// RFC 8037; RSA: RS256..PS512; EC: the ES algorithm of its curve), and the
// token's own alg among them. Claims are not validated: an emulator's clock
// need not be ours.
func VerifyWithJWKS(tok string, jwks []byte) error {
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(jwks, &set); err != nil {
		return fmt.Errorf("the key set is not a JWK Set: %w", err)
	}
	header, _, err := Decode(tok)
	if err != nil {
		return err
	}
	kid, _ := header["kid"].(string)
	var errs []error
	tried := 0
	for _, k := range set.Keys {
		if (kid != "" && k.KeyID != kid) || (k.Use != "" && k.Use != "sig") {
			continue
		}
		algs := algorithms(k.Key)
		if len(algs) == 0 {
			continue
		}
		tried++
		_, err := jwt.Parse(tok, func(*jwt.Token) (any, error) { return k.Key, nil },
			jwt.WithValidMethods(algs), jwt.WithoutClaimsValidation())
		if err == nil {
			return nil
		}
		errs = append(errs, err)
	}
	if tried == 0 {
		return fmt.Errorf("the key set has no public signing key for kid %q among %d keys", kid, len(set.Keys))
	}
	return fmt.Errorf("no key of the set verifies the token: %w", errors.Join(errs...))
}

// algorithms are the JWS algorithms a public key verifies.
func algorithms(key any) []string {
	switch k := key.(type) {
	case ed25519.PublicKey:
		return []string{"EdDSA"}
	case *rsa.PublicKey:
		return []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"}
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256():
			return []string{"ES256"}
		case elliptic.P384():
			return []string{"ES384"}
		case elliptic.P521():
			return []string{"ES512"}
		}
	}
	return nil
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
	v, err := wire.Decode([]byte(doc))
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
