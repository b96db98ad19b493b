/// The namespace the plugin generates into; see Plugins/CodegenPlugin.
public enum Generated {}
