// One bundle for both pages: the standalone file carries its data inline, the Streamlit
// component gets it by messages.

import { startBridge } from "./bridge.js";
import { startStandalone } from "./standalone.js";

const root = document.getElementById("root");
const inline = document.querySelectorAll('script[type="application/x-mge-pack"]');
if (inline.length) startStandalone(root, inline);
else startBridge(root);
