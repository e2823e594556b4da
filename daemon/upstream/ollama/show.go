package ollama

import "strings"

// ContextLength returns the context length the model was trained for
// (the GGUF's "<architecture>.context_length"), or 0 when /api/show did
// not say.
func (s *ShowResponse) ContextLength() int {
	arch, _ := s.ModelInfo["general.architecture"].(string)
	if n, ok := s.ModelInfo[arch+".context_length"].(float64); ok && arch != "" {
		return int(n)
	}
	for k, v := range s.ModelInfo {
		if n, ok := v.(float64); ok && strings.HasSuffix(k, ".context_length") {
			return int(n)
		}
	}
	return 0
}

// Parameter returns the value of a Modelfile parameter such as "num_ctx",
// or "" when the model does not set it. A parameter given several times
// (stop) returns the first.
func (s *ShowResponse) Parameter(name string) string {
	for line := range strings.SplitSeq(s.Parameters, "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), " "); ok && k == name {
			return strings.Trim(strings.TrimSpace(v), `"`)
		}
	}
	return ""
}
