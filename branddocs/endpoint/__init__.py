"""The reference endpoint: an OpenAI-compatible server on loopback that answers as vLLM, LiteLLM or OpenAI do."""
