module example.com/pdemu-gotest

go 1.26.0

require (
	github.com/pdemu/pdemu v0.0.0
	golang.org/x/oauth2 v0.38.0
)

require (
	github.com/golang-jwt/jwt/v5 v5.3.1 // indirect
	github.com/google/btree v1.1.3 // indirect
	github.com/google/uuid v1.6.0 // indirect
	github.com/gorilla/mux v1.8.1 // indirect
)

// This example lives in pdemu's repository and tests the pdemu beside it.
// Your own module needs no replace: `go get github.com/pdemu/pdemu` adds
// the require line with a real version.
replace github.com/pdemu/pdemu => ../..
