// Package docs holds the API's OpenAPI description, written by hand in
// openapi.yaml beside this file and embedded in the binary.
package docs

import (
	_ "embed"
	"encoding/json"
	"fmt"

	"go.yaml.in/yaml/v3"
)

//go:embed openapi.yaml
var openAPIYAML []byte

// OpenAPIYAML is the OpenAPI 3.1 description as written.
func OpenAPIYAML() []byte { return openAPIYAML }

// OpenAPIJSON converts the description to JSON, for GET /openapi.json.
func OpenAPIJSON() ([]byte, error) {
	var doc any
	if err := yaml.Unmarshal(openAPIYAML, &doc); err != nil {
		return nil, fmt.Errorf("docs: openapi.yaml: %w", err)
	}
	out, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("docs: openapi.yaml to JSON: %w", err)
	}
	return out, nil
}
