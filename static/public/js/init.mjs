// Starts the NHS design system's components (error summary focus, skip link, header, radios' conditional parts).
// Pages work without it: every form posts and every page renders on the server.
import { initAll } from "../../vendor/nhsuk/nhsuk-frontend.min.js";

initAll();
