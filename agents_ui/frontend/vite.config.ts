// Builds the officials' workspace (console and wallboard) into agents_ui/dist, served by
// agents_ui/app_pages.py under /static/app/ (no CDN: Vue and socket.io-client are bundled).
import { resolve } from "node:path";
import { defineConfig } from "vite";
import vue from "@vitejs/plugin-vue";

export default defineConfig({
  root: __dirname,
  base: "/static/app/",
  plugins: [vue()],
  build: {
    outDir: resolve(__dirname, "../dist"),
    emptyOutDir: true,
    target: "es2020",
    rollupOptions: {
      input: { console: resolve(__dirname, "console.html"), wallboard: resolve(__dirname, "wallboard.html") },
    },
  },
});
