package kubernetes

import (
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/aitdr/aitdr/internal/secret"
)

// Defaults of the Config fields left at their zero value, and the files a
// pod's service account mounts.
const (
	DefaultTimeout   = 10 * time.Second
	InClusterToken   = "/var/run/secrets/kubernetes.io/serviceaccount/token"
	InClusterCAFile  = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt"
	inClusterHostEnv = "KUBERNETES_SERVICE_HOST"
	inClusterPortEnv = "KUBERNETES_SERVICE_PORT"
)

// Config configures the Kubernetes connector: the clusters it may act in.
//
//	kubernetes:
//	  clusters:
//	    - name: ml-prod
//	      server: https://ml-prod.example:6443
//	      ca_file: /etc/aitdr/ml-prod-ca.crt
//	      token: {file: /etc/aitdr/ml-prod-token}
//	    - name: ml-dev
//	      in_cluster: true
type Config struct {
	// Clusters are the clusters the connector acts in; a principal of
	// another cluster is refused.
	Clusters []Cluster `yaml:"clusters"`
	// Timeout bounds one request. Default DefaultTimeout.
	Timeout time.Duration `yaml:"timeout"`
}

// Cluster is one Kubernetes cluster and the credentials to act in it.
type Cluster struct {
	// Name is the cluster's name as identity ids name it
	// ("kubernetes:<cluster>:system:serviceaccount:<ns>:<name>").
	Name string `yaml:"name"`
	// InCluster uses the API server and the service account of the pod
	// aitdr runs in: KUBERNETES_SERVICE_HOST and _PORT, InClusterToken
	// and InClusterCAFile, unless Server, Token or CAFile say otherwise.
	InCluster bool `yaml:"in_cluster"`
	// Server is the API server's URL, such as "https://10.0.0.1:6443".
	Server string `yaml:"server"`
	// CAFile is the PEM bundle the API server's certificate is checked
	// against. Default the system roots (InClusterCAFile with InCluster).
	CAFile string `yaml:"ca_file"`
	// Token is the bearer token, read for every request so that a
	// rotated projected token is picked up. Default the file
	// InClusterToken with InCluster.
	Token secret.Secret `yaml:"token"`
}

// Validate returns every problem of c, each naming its field path, joined
// with errors.Join, or nil. It reads no file: New does.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if len(c.Clusters) == 0 {
		bad("clusters: at least one cluster is needed")
	}
	seen := map[string]bool{}
	for i, cl := range c.Clusters {
		switch {
		case cl.Name == "":
			bad("clusters[%d].name: must not be empty", i)
		case seen[cl.Name]:
			bad("clusters[%d].name: %q is listed twice", i, cl.Name)
		}
		seen[cl.Name] = true
		if cl.Server == "" && !cl.InCluster {
			bad("clusters[%d].server: must be set unless in_cluster is true", i)
		}
		if cl.Server != "" {
			if u, err := url.Parse(cl.Server); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
				bad("clusters[%d].server: %q is not an http(s) URL", i, cl.Server)
			}
		}
		if !cl.Token.IsSet() && !cl.InCluster {
			bad("clusters[%d].token: must name the bearer token unless in_cluster is true", i)
		}
		if err := cl.Token.Validate(); err != nil {
			bad("clusters[%d].token: %w", i, err)
		}
	}
	if c.Timeout < 0 {
		bad("timeout: %s is negative", c.Timeout)
	}
	return errors.Join(errs...)
}
