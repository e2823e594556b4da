package anthropic

// AppendJSONString appends s to dst as a JSON string, the way the SSE
// encoder writes its strings: <, > and & as they are, invalid UTF-8 as
// U+FFFD. The OpenAI front end writes its hot chunks with it too, so
// both APIs share one string encoder.
func AppendJSONString(dst []byte, s string) []byte { return appendJSONString(dst, s) }
