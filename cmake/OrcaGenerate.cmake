# orca_generate(TARGET SOURCES a.orca ... [IMPORT_DIRS dir ...] [OUTPUT_DIR dir])
#
# Runs orcac on each .orca file at build time and adds the generated
# NAME.orca.c to TARGET, with NAME.orca.h reachable through TARGET's include
# path. orcac writes a depfile, so editing an imported .orca file regenerates.
# TARGET is linked to the runtime (orca in this tree, Orca::orca installed).
function(orca_generate target)
  cmake_parse_arguments(ARG "" "OUTPUT_DIR" "SOURCES;IMPORT_DIRS" ${ARGN})
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "orca_generate(${target}): no SOURCES")
  endif()
  if(NOT ARG_OUTPUT_DIR)
    set(ARG_OUTPUT_DIR ${CMAKE_CURRENT_BINARY_DIR}/orca_gen)
  endif()
  set(import_flags)
  foreach(dir IN LISTS ARG_IMPORT_DIRS)
    get_filename_component(dir "${dir}" ABSOLUTE)
    list(APPEND import_flags -I "${dir}")
  endforeach()
  if(TARGET orcac)
    set(orcac_cmd $<TARGET_FILE:orcac>)
    set(orcac_dep orcac)
    set(runtime_lib orca)
  else()
    set(orcac_cmd $<TARGET_FILE:Orca::orcac>)
    set(orcac_dep Orca::orcac)
    set(runtime_lib Orca::orca)
  endif()
  set(outputs)
  foreach(src IN LISTS ARG_SOURCES)
    get_filename_component(src "${src}" ABSOLUTE)
    get_filename_component(name "${src}" NAME_WE)
    set(h ${ARG_OUTPUT_DIR}/${name}.orca.h)
    set(c ${ARG_OUTPUT_DIR}/${name}.orca.c)
    set(d ${ARG_OUTPUT_DIR}/${name}.orca.d)
    add_custom_command(
      OUTPUT ${h} ${c}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${ARG_OUTPUT_DIR}
      COMMAND ${orcac_cmd} ${import_flags} -o ${ARG_OUTPUT_DIR} --depfile ${d} ${src}
      DEPENDS ${src} ${orcac_dep}
      DEPFILE ${d}
      COMMENT "orcac ${name}.orca"
      VERBATIM)
    list(APPEND outputs ${h} ${c})
  endforeach()
  target_sources(${target} PRIVATE ${outputs})
  target_include_directories(${target} PUBLIC ${ARG_OUTPUT_DIR})
  target_link_libraries(${target} PUBLIC ${runtime_lib})
endfunction()
