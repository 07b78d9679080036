"""Reading documents and vectors in, writing figures and graphs out."""
