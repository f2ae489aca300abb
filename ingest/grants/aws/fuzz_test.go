package aws_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/aitdr/aitdr/ingest/grants/aws"
)

// FuzzParse feeds arbitrary documents to the parser: it never panics, and
// what it returns is either an error or a snapshot whose every grant names
// an identity and a catalog action.
func FuzzParse(f *testing.F) {
	seed, err := os.ReadFile(filepath.Join("testdata", "account.json"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add([]byte(role("", `{"Statement":[{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}]}`)))
	f.Add([]byte(role(`{"Statement":{"Effect":"Deny","Action":"s3:*","NotResource":"x"}}`, `"%7B%22Statement%22%3A%5B%5D%7D"`)))
	f.Add([]byte(`{"UserDetailList":[{"UserName":"u","Arn":"arn:aws:iam::1:user/u","GroupList":["g"]}]}`))
	p := aws.NewParser(nil)
	c := aws.DefaultCatalog()
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := p.Parse("fuzz.json", data)
		if err != nil {
			return
		}
		for _, g := range s.Grants {
			if g.IdentityID == "" {
				t.Fatalf("grant without identity: %+v", g)
			}
			if _, ok := c.Lookup(g.Permission); !ok {
				t.Fatalf("grant of %q, not a catalog action", g.Permission)
			}
		}
	})
}

func FuzzParsePolicy(f *testing.F) {
	f.Add([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"Bool":{"a":"b"}}}]}`))
	f.Add([]byte(`"%7B%22Statement%22%3A%7B%7D%7D"`))
	f.Add([]byte(`{"Statement":{"Effect":"Deny","NotAction":["a:b"],"NotResource":"x"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := aws.ParsePolicy(data)
		if err != nil {
			return
		}
		for _, st := range p.Statements {
			if len(st.Actions) == 0 || len(st.Resources) == 0 {
				t.Fatalf("statement without actions or resources: %+v", st)
			}
		}
	})
}
