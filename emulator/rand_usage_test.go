package emulator_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestRandomnessComesOnlyFromTheIDGenerator enforces that no emulator code
// outside package ids draws random bytes, so that WithIDSeed covers every
// id, secret and key: crypto/rand and google/uuid are imported by ids
// alone, math/rand only builds seeded generators (the fault dice), no key
// is generated from a reader Go ignores, and the one random hash seed
// (redact's marker cache, which changes no output) is allowed by name.
func TestRandomnessComesOnlyFromTheIDGenerator(t *testing.T) {
	const idsDir = "internal/ids"
	// onlyInIDs are imported by package ids alone.
	onlyInIDs := map[string]bool{"crypto/rand": true, "github.com/google/uuid": true}
	// allowed lists, per package path, the names code outside ids may use;
	// a package missing here may be used freely.
	allowed := map[string]map[string]bool{
		// Seeded generators and their types, never the global source.
		"math/rand":    {"New": true, "NewSource": true, "Rand": true, "Source": true},
		"math/rand/v2": {"New": true, "NewPCG": true, "NewChaCha8": true, "Rand": true, "PCG": true, "ChaCha8": true, "Source": true},
		// Keys come from a seed read from the generator: GenerateKey
		// ignores its reader since Go 1.26.
		"crypto/ed25519": {"NewKeyFromSeed": true, "PrivateKey": true, "PublicKey": true, "Sign": true, "Verify": true, "SeedSize": true, "SignatureSize": true, "PublicKeySize": true, "PrivateKeySize": true},
		"hash/maphash":   {"Seed": true, "String": true, "Bytes": true, "Hash": true, "Comparable": true},
	}
	// exceptions are the uses allowed in one file, with the reason.
	exceptions := map[string]string{
		"internal/redact/redact.go: maphash.MakeSeed": "keys the marker cache only; markers come from the HMAC key, drawn from the generator",
	}
	var offenders []string
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		dir := filepath.ToSlash(filepath.Dir(path))
		names := map[string]string{} // local name -> import path
		for _, imp := range f.Imports {
			p, err := strconv.Unquote(imp.Path.Value)
			if err != nil {
				return err
			}
			if onlyInIDs[p] && dir != idsDir {
				offenders = append(offenders, path+": imports "+p)
			}
			name := p[strings.LastIndex(p, "/")+1:]
			if p == "math/rand/v2" {
				name = "rand"
			}
			if imp.Name != nil {
				name = imp.Name.Name
			}
			names[name] = p
		}
		if dir == idsDir {
			return nil
		}
		ast.Inspect(f, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			id, ok := sel.X.(*ast.Ident)
			if !ok {
				return true
			}
			p, ok := names[id.Name]
			if !ok {
				return true
			}
			use := id.Name + "." + sel.Sel.Name
			if ok, listed := allowed[p]; listed && !ok[sel.Sel.Name] {
				if _, excepted := exceptions[filepath.ToSlash(path)+": "+use]; !excepted {
					offenders = append(offenders, path+": "+use)
				}
			}
			return true
		})
		return nil
	})
	require.NoError(t, err)
	require.Empty(t, offenders, "draw randomness from the emulator's ids.Generator")
}
