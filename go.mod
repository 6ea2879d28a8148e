module github.com/balancerd/balancerd

go 1.26.8

require (
	github.com/alecthomas/participle/v2 v2.1.4
	github.com/spf13/pflag v1.1.0
	github.com/tg123/go-htpasswd v1.2.5
	golang.org/x/crypto v0.45.0
)

require github.com/GehirnInc/crypt v0.0.0-20230320061759-8cc1b52080c5 // indirect
