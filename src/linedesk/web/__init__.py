"""What every page uses: templates and the render helper, CSRF, forms, the error page, static
files. It imports no domain: sign-in for pages is `identity.web_auth`."""
