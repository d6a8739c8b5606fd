import { createApp } from "vue";
import "../shared/app.css";
import "./wallboard.css";
import Wallboard from "./Wallboard.vue";

createApp(Wallboard).mount("#app");
