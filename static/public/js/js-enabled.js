// The NHS design system's "js-enabled" switch, as a file so the strict CSP (no inline script) holds.
document.body.className += " js-enabled" + ("noModule" in HTMLScriptElement.prototype ? " nhsuk-frontend-supported" : "");
