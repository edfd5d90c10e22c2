module github.com/pdemu/pdemu

go 1.26.0

require (
	github.com/golang-jwt/jwt/v5 v5.3.1
	github.com/google/uuid v1.6.0
	github.com/gorilla/mux v1.8.1
	github.com/stretchr/testify v1.12.1
	golang.org/x/oauth2 v0.38.0
)

require go.yaml.in/yaml/v3 v3.0.5 // indirect
